/**
 * `encoding-noise`: a byte-order mark, no-break spaces (U+00A0) for some spaces and `&nbsp;`
 * entities between tags. Must pass: NBSP is whitespace to grounding.
 *
 * @module
 */
import { mapTextRuns } from "./_html.ts";
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** BOM + seeded NBSPs + `&nbsp;` between tags. */
export function encodingNoise(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "encoding-noise",
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "a BOM, no-break spaces and &nbsp; entities",
    apply: (b, rng) =>
      mapContent(b, target, (t) => {
        const nb = mapTextRuns(t, (run) =>
          run.replace(/ /g, () => (rng.next() < 0.5 ? "\u00a0" : " ")));
        return "\ufeff" + nb.replace(/></g, ">&nbsp;<");
      }),
  };
}
