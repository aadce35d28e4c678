/**
 * Python's `json.dumps`, byte for byte, for the values zu hashes and keys.
 *
 * {@link canonicalJson} is `json.dumps(value, sort_keys=True, separators=(",", ":"))`: the text
 * zu's hash chain hashes. {@link pythonJsonDumps} is the general form (default separators
 * `", "` and `": "`), used for example by the loop's uuid5 idempotency keys.
 *
 * Rules reproduced: every character outside printable ASCII is escaped as lowercase `\uXXXX`
 * (astral characters as a surrogate pair), `\n \r \t \b \f` use the short forms, keys are sorted
 * by Unicode code point at every level, ints are written in full (`bigint` too), floats as
 * Python's `repr` (`3.0`, `1e-07`, `1e+16`); see `core/json.ts` for how floats and ints are told
 * apart.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * console.assert(canonicalJson({ b: "é", a: [1, 1e-7] }) === '{"a":[1,1e-07],"b":"\\u00e9"}');
 * ```
 * @module
 */
import { PyFloat, pythonFloatRepr } from "./json.ts";

/** Options of {@link pythonJsonDumps}. */
export interface PythonJsonDumpsOptions {
  /** Sort object keys by code point (Python's `sort_keys`). Default `false`. */
  sortKeys?: boolean;
  /** `[item separator, key separator]`. Default `[", ", ": "]`. */
  separators?: readonly [string, string];
}

// deno-lint-ignore no-control-regex
const NON_ASCII = /[\u007f-\uffff]/g;
// deno-lint-ignore no-control-regex
const HAS_NON_ASCII = /[\u007f-\uffff]/;

function escapeChar(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/** A JSON string literal with Python's `ensure_ascii=True` escaping. */
export function pythonJsonString(s: string): string {
  const quoted = JSON.stringify(s);
  return HAS_NON_ASCII.test(quoted) ? quoted.replace(NON_ASCII, escapeChar) : quoted;
}

/** Compares two strings by Unicode code point (not by UTF-16 code unit). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) sort above U+E000..U+FFFF.
      x += x < 0xe000 ? 0x2000 : -0x800;
      y += y < 0xe000 ? 0x2000 : -0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function where(path: string): string {
  return path === "" ? "$" : `$${path}`;
}

interface Writer {
  sort: boolean;
  item: string;
  key: string;
  stack: object[];
}

function write(v: unknown, path: string, w: Writer): string {
  switch (typeof v) {
    case "string":
      return pythonJsonString(v);
    case "number":
      if (!Number.isFinite(v)) {
        throw new TypeError(
          `Cannot write ${where(path)} as JSON: "${String(v)}" is not a finite number`,
        );
      }
      if (Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
      return pythonFloatRepr(v);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "object": {
      if (v === null) return "null";
      if (v instanceof PyFloat) return pythonFloatRepr(v.value);
      if (w.stack.includes(v)) {
        throw new TypeError(`Cannot write ${where(path)} as JSON: the value is cyclic`);
      }
      w.stack.push(v);
      let out: string;
      if (Array.isArray(v)) {
        const parts: string[] = [];
        for (let i = 0; i < v.length; i++) parts.push(write(v[i], `${path}[${i}]`, w));
        out = `[${parts.join(w.item)}]`;
      } else if (isPlainObject(v)) {
        const rec = v as Record<string, unknown>;
        const keys = Object.keys(rec);
        if (w.sort) keys.sort(compareCodePoints);
        const parts: string[] = [];
        for (const k of keys) {
          const item = rec[k];
          if (item === undefined) continue;
          parts.push(`${pythonJsonString(k)}${w.key}${write(item, `${path}.${k}`, w)}`);
        }
        out = `{${parts.join(w.item)}}`;
      } else {
        throw new TypeError(
          `Cannot write ${where(path)} as JSON: a "${
            v.constructor?.name ?? "object"
          }" is not plain JSON`,
        );
      }
      w.stack.pop();
      return out;
    }
    default:
      throw new TypeError(`Cannot write ${where(path)} as JSON: a ${typeof v} is not JSON`);
  }
}

/**
 * Python's `json.dumps(value, sort_keys=..., separators=...)` with `ensure_ascii=True`. Throws
 * `TypeError` naming the path of a value that is not JSON.
 *
 * @example
 * ```ts
 * import { pythonJsonDumps } from "./canonical_json.ts";
 * console.assert(pythonJsonDumps({ url: "https://x/", n: 2 }, { sortKeys: true }) === '{"n": 2, "url": "https://x/"}');
 * ```
 */
export function pythonJsonDumps(value: unknown, options: PythonJsonDumpsOptions = {}): string {
  const [item, key] = options.separators ?? [", ", ": "];
  return write(value, "", { sort: options.sortKeys ?? false, item, key, stack: [] });
}

/**
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))`: the text zu's hash chain hashes.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * console.assert(canonicalJson({ "😀": 2, "ｆ": 1 }) === '{"\\uff46":1,"\\ud83d\\ude00":2}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, "", { sort: true, item: ",", key: ":", stack: [] });
}
