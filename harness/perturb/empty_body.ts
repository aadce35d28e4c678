/**
 * `empty-body`: 200 with an empty body. Must fail.
 *
 * @module
 */
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Every content string becomes `""`. */
export function emptyBody(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "empty-body",
    kind: "transport",
    expect: "fail",
    ...(target ? { target } : {}),
    description: "the server answers 200 with an empty body",
    apply: (b) => mapContent(b, target, () => ""),
  };
}
