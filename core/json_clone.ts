/**
 * Deep copy of a JSON value that keeps zu's number model ({@link PyFloat}, `bigint`) intact.
 *
 * @example
 * ```ts
 * import { jsonClone } from "./json_clone.ts";
 * const a = { list: [1, { b: 2 }] };
 * const b = jsonClone(a);
 * console.assert(b.list !== a.list && JSON.stringify(b) === JSON.stringify(a));
 * ```
 * @module
 */
import { isPyFloat } from "./json.ts";

/** Deep copy of a JSON value; immutable leaves (`PyFloat`, `bigint`) are shared. */
export function jsonClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => jsonClone(v)) as T;
  if (value !== null && typeof value === "object" && !isPyFloat(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = jsonClone(v);
    return out as T;
  }
  return value;
}
