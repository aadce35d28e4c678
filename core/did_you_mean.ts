/**
 * "Did you mean": the known name closest to a mistyped one, by edit distance (insertions,
 * deletions, substitutions and swaps of two neighbours each cost 1), offered only when it is
 * close enough to be the likely intent. Used for agent.yaml keys, commands and flags.
 *
 * @example
 * ```ts
 * import { closestName } from "./did_you_mean.ts";
 * console.assert(closestName("rnu", ["run", "replay", "init"]) === "run");
 * console.assert(closestName("budgt", ["budget", "task"]) === "budget");
 * console.assert(closestName("xyzzy", ["run", "init"]) === null);
 * ```
 * @module
 */

/**
 * The edit distance of `a` and `b` (optimal string alignment: insert, delete, substitute, or
 * swap two neighbours), case-sensitive.
 *
 * @example
 * ```ts
 * import { editDistance } from "./did_you_mean.ts";
 * console.assert(editDistance("jsno", "json") === 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2]! + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/** The largest distance still offered for a name of `length` characters. */
function threshold(length: number): number {
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

/**
 * The name in `known` closest to `name` (compared case-insensitively), or null when none is
 * close: within 1 edit for names up to 4 characters, 2 up to 8, 3 beyond, and never further than
 * half the name. Ties go to the earlier name in `known`.
 *
 * @example
 * ```ts
 * import { closestName } from "./did_you_mean.ts";
 * console.assert(closestName("--jsno".slice(2), ["json", "db"]) === "json");
 * ```
 */
export function closestName(name: string, known: Iterable<string>): string | null {
  const lower = name.toLowerCase();
  if (lower.length === 0) return null;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate === name) return candidate;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.min(threshold(lower.length), Math.max(1, Math.floor(lower.length / 2)));
  return best !== null && bestDistance <= limit ? best : null;
}

/**
 * `' (did you mean "x"?)'` for the name in `known` closest to `name`, or `""` when none is close;
 * `prefix` is put before the suggested name (`"--"` for flags).
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * console.assert(didYouMean("jsno", ["json"], "--") === ' (did you mean "--json"?)');
 * ```
 */
export function didYouMean(name: string, known: Iterable<string>, prefix = ""): string {
  const best = closestName(name, known);
  return best === null ? "" : ` (did you mean "${prefix}${best}"?)`;
}
