/**
 * zu's `drop-value:<v>`: delete a grounded value everywhere. Must fail (else grounding is not
 * load-bearing).
 *
 * @module
 */
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** `t.replace(v, "[removed]")` — every occurrence, as Python's `str.replace`. */
export function dropValue(param?: string, target?: PerturbTarget): Perturbation {
  if (param === undefined) {
    throw new TypeError('Cannot make "drop-value": it needs a value ("drop-value:<v>")');
  }
  const v = param;
  return {
    name: `drop-value:${v}`,
    kind: "control",
    expect: "fail",
    ...(target ? { target } : {}),
    description: `the grounded value ${JSON.stringify(v)} deleted from every page (zu)`,
    apply: (b) => mapContent(b, target, (t) => t.replaceAll(v, "[removed]")),
  };
}
