/**
 * `renamed-css-classes`: a redeploy renames every CSS class (hashed suffix). Must pass: the values
 * are still on the page.
 *
 * @module
 */
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

const CLASS_ATTR = /(\sclass\s*=\s*)("([^"]*)"|'([^']*)')/gi;

/** Every class token `x` becomes `x-<hash>` (one hash per variant). */
export function renamedCssClasses(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "renamed-css-classes",
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "every CSS class gets a build-hash suffix",
    apply: (b, rng) => {
      const suffix = rng.hex(5);
      return mapContent(
        b,
        target,
        (t) =>
          t.replace(CLASS_ATTR, (_m, pre: string, _q, dq?: string, sq?: string) => {
            const q = dq !== undefined ? '"' : "'";
            const names = (dq ?? sq ?? "").split(/\s+/).filter((c) => c !== "");
            return `${pre}${q}${names.map((c) => `${c}-${suffix}`).join(" ")}${q}`;
          }),
      );
    },
  };
}
