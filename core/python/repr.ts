/**
 * Python's text forms of JSON values, byte for byte: `repr()`, `str()`, `len()`. zu writes these
 * into violation strings, observations and finding locations, so they must match CPython.
 *
 * @example
 * ```ts
 * import { pyLen, pyRepr, pyStr } from "./repr.ts";
 * console.assert(pyRepr({ k: ["v", null, true] }) === "{'k': ['v', None, True]}");
 * console.assert(pyStr("plain") === "plain");
 * console.assert(pyLen("h\u00e9\u{1F600}") === 3);
 * ```
 * @module
 */
import { isPyFloat, PyFloat, pythonFloatRepr } from "../json.ts";

// Python's str.isprintable() is false for these categories (the space excepted).
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function pyEscape(cp: number): string {
  if (cp < 0x100) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

/**
 * Python's `repr()` of a `str`: single quotes unless the text has `'` and no `"`; what
 * `str.isprintable()` rejects is escaped as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
 */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) out += pyEscape(ch.codePointAt(0)!);
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of an int or float given as a JS number: ints in full, floats as repr. */
function pyNumberRepr(v: number): string {
  if (!Number.isInteger(v)) return pythonFloatRepr(v);
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

/**
 * Python's `repr()` of a JSON value as `json.loads` would give it: `'s'`, `None`, `True`, `42`,
 * `3.0`, `[1, 2]`, `{'k': 'v'}`.
 */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  switch (typeof v) {
    case "string":
      return pyStrRepr(v);
    case "boolean":
      return v ? "True" : "False";
    case "number":
      return pyNumberRepr(v);
    case "bigint":
      return v.toString();
    case "object": {
      if (v instanceof PyFloat) return pythonFloatRepr(v.value);
      if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
      const rec = v as Record<string, unknown>;
      return `{${Object.keys(rec).map((k) => `${pyStrRepr(k)}: ${pyRepr(rec[k])}`).join(", ")}}`;
    }
    default:
      return String(v);
  }
}

/** Python's `str()` of a JSON value: `None`, `True`, `42`, `3.0`, the string itself, or a container's repr. */
export function pyStr(v: unknown): string {
  return typeof v === "string" ? v : pyRepr(v);
}

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
