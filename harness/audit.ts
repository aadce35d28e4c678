/**
 * zu's static brittleness audit (no run): `single-selector` (a click/fill/select in a browser or
 * render_dom move without a `near` fallback) and `single-occurrence` (a grounded value found in
 * exactly one observation content string). Texts are zu's, byte for byte.
 *
 * @example
 * ```ts
 * import { auditBundle } from "./audit.ts";
 * const f = auditBundle({ task: "q", model: null, moves: [{ text: '{"a": "x"}' }], observations: { http_fetch: [{ html: "x" }] } });
 * console.assert(f[0]?.kind === "single-occurrence" && f[0]?.where === "value 'x'");
 * ```
 * @module
 */
import type { Bundle } from "./bundle.ts";
import { groundedValues } from "./grounded.ts";
import { pyRepr, pyStr } from "../core/python/mod.ts";

/** One static finding. */
export interface Finding {
  /** `single-selector` or `single-occurrence`. */
  kind: "single-selector" | "single-occurrence";
  /** Where (`browser move #2`, `value '08:30'`). */
  where: string;
  /** What is brittle and what to do. */
  detail: string;
}

const TARGETING = ["click", "fill", "select"] as const;
const FIELDS = ["text", "html", "content"] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The findings for `bundle`, single-selector first, in zu's order. */
export function auditBundle(bundle: Bundle): Finding[] {
  const findings: Finding[] = [];
  let step = 0;
  for (const move of bundle.moves as Record<string, unknown>[]) {
    const tool = move.tool;
    if (tool !== "browser" && tool !== "render_dom") continue;
    const args = isObject(move.args) ? move.args : {};
    const actions = Array.isArray(args.actions) ? args.actions : [];
    for (const action of actions) {
      if (!isObject(action)) continue;
      const verb = TARGETING.find((v) => v in action);
      if (verb !== undefined && !("near" in action)) {
        findings.push({
          kind: "single-selector",
          where: `${tool} move #${step + 1}`,
          detail: `${verb} ${pyRepr(action[verb])} has no \`near\` fallback — one renamed ` +
            "selector breaks this step; add an alternate locator.",
        });
      }
    }
    step++;
  }
  const haystacks: string[] = [];
  for (const list of Object.values(bundle.observations)) {
    for (const obs of list) {
      for (const f of FIELDS) haystacks.push(f in obs ? pyStr(obs[f]) : "");
    }
  }
  for (const s of groundedValues(bundle)) {
    const hits = haystacks.filter((h) => h.includes(s)).length;
    if (hits === 1) {
      findings.push({
        kind: "single-occurrence",
        where: `value ${pyRepr(s)}`,
        detail: "appears in only one fixture observation — a single wording change there loses " +
          "the grounding for this value.",
      });
    }
  }
  return findings;
}
