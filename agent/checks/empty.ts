/**
 * The `empty` detector: escalates when an observation carries content keys and every one of them
 * is blank.
 *
 * @example
 * ```ts
 * import { EmptyDetector } from "./empty.ts";
 * const d = new EmptyDetector();
 * const v = d.inspect({ observation: { text: "  " } } as never);
 * console.assert(v?.severity === "escalate");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";
import { CONTENT_KEYS } from "./_content.ts";

function blank(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === "string") return v.trim() === "";
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

/** Escalates (detail "empty observation") when all present html/text/content values are blank. */
export class EmptyDetector implements Detector {
  /** Registry name. */
  readonly name = "empty";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";

  /** Inspects `ctx.observation`. */
  inspect(ctx: RunContext): Verdict | null {
    const obs = ctx.observation;
    if (obs === null || obs === undefined) return null;
    const present = CONTENT_KEYS.filter((k) => k in obs);
    if (present.length === 0) return null;
    if (!present.every((k) => blank(obs[k]))) return null;
    return { severity: "escalate", detector: this.name, detail: "empty observation" };
  }
}
