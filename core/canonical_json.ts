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
import {
  cyclicError,
  isPlainObject,
  keyCache,
  notFiniteError,
  notJsonError,
  notPlainError,
} from "./_json_util.ts";
import { PyFloat, pythonFloatRepr } from "./json.ts";

/** Options of {@link pythonJsonDumps}. */
export interface PythonJsonDumpsOptions {
  /** Sort object keys by code point (Python's `sort_keys`). Default `false`. */
  sortKeys?: boolean;
  /** `[item separator, key separator]`. Default `[", ", ": "]`, or `[",", ": "]` with `indent`. */
  separators?: readonly [string, string];
  /**
   * Pretty-print with this many spaces per level (Python's `indent`; empty containers stay `[]`
   * and `{}`). Default none: one line.
   */
  indent?: number;
}

const NON_ASCII = /[\u007f-\uffff]/;
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * `text` with every UTF-16 code unit from U+007F up written as lowercase `\uXXXX` (astral
 * characters thus as a surrogate pair): Python's `ensure_ascii=True` applied to a JSON string
 * literal otherwise escaped as `JSON.stringify` does. A plain loop: several times faster than a
 * `replace` with a callback per character.
 *
 * @example
 * ```ts
 * import { escapeNonAscii } from "./canonical_json.ts";
 * console.assert(escapeNonAscii('{"t":"é"}') === '{"t":"\\u00e9"}');
 * ```
 */
export function escapeNonAscii(text: string): string {
  // RegExp#test is V8's fast path (String#search is several times slower per call).
  if (!NON_ASCII.test(text)) return text;
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f) {
      out += text.slice(last, i) + "\\u" + HEX2[c >> 8]! + HEX2[c & 255]!;
      last = i + 1;
    }
  }
  return out + text.slice(last);
}

/** A JSON string literal with Python's `ensure_ascii=True` escaping. */
export function pythonJsonString(s: string): string {
  return escapeNonAscii(JSON.stringify(s));
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

// Keys repeat across events; cache their escaped form (bounded).
const escapedKey = keyCache(pythonJsonString);

// The canonical writer's key cache: the escaped key, and whether the key holds a code unit at
// or above U+D800 (then UTF-16 order may differ from code point order; see sortKeys).
interface KeyInfo {
  escaped: string;
  high: boolean;
}
const keyInfo = keyCache((k): KeyInfo => ({
  escaped: pythonJsonString(k),
  high: NEEDS_CODE_POINT_SORT.test(k),
}));

/**
 * The canonical text (sorted keys, `","`/`":"`) of a value without anything unusual in it, or
 * null when the general writer is needed: deeper than 64 levels (maybe a cycle), a non-plain
 * object, a non-finite number, `undefined` in an array, a function. Same bytes as `write` for
 * every value it accepts; no path or cycle bookkeeping.
 */
function writeCanonical(v: unknown, depth: number): string | null {
  switch (typeof v) {
    case "string":
      return pythonJsonString(v);
    case "number":
      if (Number.isSafeInteger(v)) return String(v);
      if (!Number.isFinite(v)) return null;
      return Number.isInteger(v) ? BigInt(v).toString() : pythonFloatRepr(v);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "object": {
      if (v === null) return "null";
      if (v instanceof PyFloat) return pythonFloatRepr(v.value);
      if (depth > 64) return null;
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (x === undefined) return null;
          const t = writeCanonical(x, depth + 1);
          if (t === null) return null;
          out += i > 0 ? "," + t : t;
        }
        return out + "]";
      }
      if (!isPlainObject(v)) return null;
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec);
      const n = keys.length;
      if (n === 0) return "{}";
      const infos: KeyInfo[] = new Array(n);
      let high = false;
      if (n > 1) keys.sort();
      for (let i = 0; i < n; i++) {
        const info = keyInfo(keys[i]!);
        if (info.high) high = true;
        infos[i] = info;
      }
      if (high && n > 1) {
        keys.sort(compareCodePoints);
        for (let i = 0; i < n; i++) infos[i] = keyInfo(keys[i]!);
      }
      let out = "{";
      let first = true;
      for (let i = 0; i < n; i++) {
        const item = rec[keys[i]!];
        if (item === undefined) continue;
        const t = writeCanonical(item, depth + 1);
        if (t === null) return null;
        out += (first ? "" : ",") + infos[i]!.escaped + ":" + t;
        first = false;
      }
      return out + "}";
    }
    default:
      return null;
  }
}

// UTF-16 order equals code point order unless a key holds a surrogate or U+E000..U+FFFF.
const NEEDS_CODE_POINT_SORT = /[\ud800-\uffff]/;

function sortKeys(keys: string[]): string[] {
  keys.sort();
  if (keys.length > 1 && NEEDS_CODE_POINT_SORT.test(keys.join(""))) keys.sort(compareCodePoints);
  return keys;
}

interface Writer {
  /** Track the path for error messages (second pass only, after a failure). */
  paths: boolean;
  sort: boolean;
  item: string;
  key: string;
  /** One level of indentation, or null for one line. */
  indent: string | null;
  stack: object[];
}

// The line break and indentation before an item (depth = open containers) or a closing bracket.
function newline(w: Writer, depth: number): string {
  return w.indent === null ? "" : "\n" + w.indent.repeat(depth);
}

function write(v: unknown, path: string, w: Writer): string {
  switch (typeof v) {
    case "string":
      return pythonJsonString(v);
    case "number":
      if (!Number.isFinite(v)) throw notFiniteError(path, v);
      if (Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
      return pythonFloatRepr(v);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "object": {
      if (v === null) return "null";
      if (v instanceof PyFloat) return pythonFloatRepr(v.value);
      if (w.stack.includes(v)) throw cyclicError(path);
      w.stack.push(v);
      let out: string;
      if (Array.isArray(v)) {
        const nl = newline(w, w.stack.length);
        out = "[";
        for (let i = 0; i < v.length; i++) {
          out += (i > 0 ? w.item : "") + nl;
          out += write(v[i], w.paths ? `${path}[${i}]` : path, w);
        }
        out += (v.length === 0 ? "" : newline(w, w.stack.length - 1)) + "]";
      } else if (isPlainObject(v)) {
        const rec = v as Record<string, unknown>;
        const keys = w.sort ? sortKeys(Object.keys(rec)) : Object.keys(rec);
        const nl = newline(w, w.stack.length);
        out = "{";
        let first = true;
        for (const k of keys) {
          const item = rec[k];
          if (item === undefined) continue;
          out += (first ? "" : w.item) + nl;
          first = false;
          out += escapedKey(k) + w.key + write(item, w.paths ? `${path}.${k}` : path, w);
        }
        out += (first ? "" : newline(w, w.stack.length - 1)) + "}";
      } else {
        throw notPlainError(path, v);
      }
      w.stack.pop();
      return out;
    }
    default:
      throw notJsonError(path, v);
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
  const indent = options.indent === undefined ? null : " ".repeat(options.indent);
  const [item, key] = options.separators ?? (indent === null ? [", ", ": "] : [",", ": "]);
  return run(value, options.sortKeys ?? false, [item, key], indent);
}

const CANONICAL_SEPARATORS = [",", ":"] as const;

function run(
  value: unknown,
  sort: boolean,
  [item, key]: readonly [string, string],
  indent: string | null = null,
): string {
  try {
    return write(value, "", { paths: false, sort, item, key, indent, stack: [] });
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    // Redo with paths so the message says where the bad value is.
    return write(value, "", { paths: true, sort, item, key, indent, stack: [] });
  }
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
  return writeCanonical(value, 0) ?? run(value, true, CANONICAL_SEPARATORS);
}
