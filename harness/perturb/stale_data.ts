/**
 * `stale-data`: the page shows an older version of the facts (every grounded value changed: digits
 * shifted, otherwise the last character bumped). Must fail: the recorded answer is no longer on the
 * page.
 *
 * @module
 */
import { groundedValues } from "../grounded.ts";
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** The "older" spelling of a value. */
export function staleVersion(v: string): string {
  if (/\d/.test(v)) return v.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
  const chars = [...v];
  const last = chars.pop() ?? "";
  const cp = last.codePointAt(0) ?? 0x61;
  return chars.join("") + String.fromCodePoint(cp + 1);
}

/** Replaces each grounded value (longest first) with its stale version everywhere. */
export function staleData(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "stale-data",
    kind: "drift",
    expect: "fail",
    ...(target ? { target } : {}),
    description: "the page shows older values for every grounded fact",
    apply: (b) => {
      const values = groundedValues(b).sort((x, y) => y.length - x.length);
      return mapContent(
        b,
        target,
        (t) => values.reduce((acc, v) => acc.replaceAll(v, staleVersion(v)), t),
      );
    },
  };
}
