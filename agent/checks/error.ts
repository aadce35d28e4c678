/**
 * The `error` detector: asks for a retry when an observation's integer `status` is 400 or more.
 *
 * @example
 * ```ts
 * import { ErrorDetector } from "./error.ts";
 * const v = new ErrorDetector().inspect({ observation: { status: 503 } } as never);
 * console.assert(v?.detail === "http 503");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";

/** Retry (detail "http N") on an integer `status >= 400`. */
export class ErrorDetector implements Detector {
  /** Registry name. */
  readonly name = "error";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";

  /** Inspects `ctx.observation`. */
  inspect(ctx: RunContext): Verdict | null {
    const status = ctx.observation?.status;
    const n = typeof status === "bigint" ? Number(status) : status;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 400) return null;
    return { severity: "retry", detector: this.name, detail: `http ${String(status)}` };
  }
}
