/**
 * `whitespace-noise`: reformatted markup (newlines and indentation between tags, runs of spaces in
 * text). Must pass: grounding collapses whitespace.
 *
 * @module
 */
import { mapTextRuns } from "./_html.ts";
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

const NOISE = ["  ", " \n ", "\t ", "\n\n  "];

/** Adds seeded whitespace between tags and inside text runs. */
export function whitespaceNoise(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "whitespace-noise",
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "extra newlines, tabs and spaces between tags and words",
    apply: (b, rng) =>
      mapContent(b, target, (t) => {
        const spaced = mapTextRuns(t, (run) => run.replace(/ /g, () => rng.pick(NOISE) ?? " "));
        return "\n  " + spaced.replace(/></g, () => `>${rng.pick(NOISE) ?? "\n"}<`) + "\n";
      }),
  };
}
