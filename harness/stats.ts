/**
 * Rates as n/N with a 95% Wilson score interval (never a bare percentage).
 *
 * @example
 * ```ts
 * import { rate } from "./stats.ts";
 * const r = rate(9, 10);
 * console.assert(r.text === "9/10" && r.low > 0.59 && r.low < 0.6 && r.high > 0.98);
 * ```
 * @module
 */

/** A proportion with its interval. */
export interface Rate {
  /** Successes. */
  n: number;
  /** Trials. */
  total: number;
  /** n/N (1.0 when N is 0, zu's convention for resilience). */
  value: number;
  /** Lower bound of the 95% Wilson interval (0 when N is 0). */
  low: number;
  /** Upper bound of the 95% Wilson interval (1 when N is 0). */
  high: number;
  /** `"n/N"`. */
  text: string;
}

const Z95 = 1.959963984540054;

/** The Wilson score interval of n successes in `total` trials. */
export function wilson(n: number, total: number, z = Z95): [number, number] {
  if (total === 0) return [0, 1];
  const p = n / total;
  const z2 = z * z;
  const denom = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** A {@link Rate}; `emptyValue` is the value when `total` is 0 (default 1). */
export function rate(n: number, total: number, emptyValue = 1): Rate {
  const [low, high] = wilson(n, total);
  return {
    n,
    total,
    value: total === 0 ? emptyValue : n / total,
    low,
    high,
    text: `${n}/${total}`,
  };
}

/** `"9/10 (90%, 95% CI 60–98%)"`. */
export function formatRate(r: Rate): string {
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return `${r.text} (${pct(r.value)}, 95% CI ${pct(r.low)}–${pct(r.high)})`;
}
