/**
 * Small Python-compatibility helpers the loop needs to match zu byte for byte: `len()` in code
 * points, `str()` of scalars, `uuid5`; `repr()` is re-exported from `core/chain.ts` and
 * `json.dumps` from `core/canonical_json.ts`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { pyStr } from "../core/chain.ts";
import { isPyFloat } from "../core/json.ts";
export { pyRepr, pyStrRepr as pyReprString } from "../core/chain.ts";
export {
  compareCodePoints as codePointCompare,
  pythonJsonDumps as pyDumps,
} from "../core/canonical_json.ts";

/** Python's `len()` of a JSON value: code points of a string, items of a list or dict. */
export function pyLen(value: unknown): number {
  if (typeof value === "string") {
    let n = 0;
    for (const _ of value) n++;
    return n;
  }
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === "object" && !isPyFloat(value)) {
    return Object.keys(value).length;
  }
  return 0;
}

/** Python's `str()` of a scalar JSON leaf (`4.0` stays `4.0`), else `null` for non-scalars. */
export function pyStrScalar(value: unknown): string | null {
  const scalar = typeof value === "string" || typeof value === "number" ||
    typeof value === "bigint" || isPyFloat(value);
  return scalar ? pyStr(value) : null;
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) {
    throw new TypeError(`Cannot derive a uuid5: namespace "${uuid}" is not a uuid`);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Python's `uuid.uuid5(namespace, name)`: SHA-1 of the namespace bytes and the UTF-8 name.
 *
 * @example
 * ```ts
 * import { uuid5 } from "./_py.ts";
 * // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
 * console.assert(uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") === "886313e1-3b8a-5372-9b90-0c9aee199e5d");
 * ```
 */
export function uuid5(namespace: string, name: string): string {
  const h = createHash("sha1");
  h.update(uuidBytes(namespace));
  h.update(new TextEncoder().encode(name));
  const b = new Uint8Array(h.digest()).slice(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

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
