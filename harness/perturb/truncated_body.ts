/**
 * `truncated-body`: the connection drops mid-body, before the first grounded value. Must fail
 * (partial data must not pass as complete).
 *
 * @module
 */
import { groundedValues } from "../grounded.ts";
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Cuts each content string just before its earliest grounded value (at half when none). */
export function truncatedBody(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "truncated-body",
    kind: "transport",
    expect: "fail",
    ...(target ? { target } : {}),
    description: "the body is cut off before the first grounded value",
    apply: (b) => {
      const values = groundedValues(b);
      return mapContent(b, target, (t) => {
        const hits = values.map((v) => t.indexOf(v)).filter((i) => i >= 0);
        const cut = hits.length > 0 ? Math.min(...hits) : Math.floor(t.length / 2);
        return t.slice(0, cut);
      });
    },
  };
}
