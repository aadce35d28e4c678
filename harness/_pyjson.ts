/**
 * Python text forms the harness needs byte for byte: `json.dumps(value, indent=2)` (how zu writes
 * `fixtures/capture.json`), `json.dumps(value)` (the final text move), `repr()` (finding
 * locations) and `str()` (grounded values, drop-value names).
 *
 * @module
 */
import { compareCodePoints, pythonJsonString } from "../core/canonical_json.ts";
import { PyFloat, pythonFloatRepr } from "../core/json.ts";

/** Options of {@link pyDumps}. */
export interface PyDumpsOptions {
  /** Pretty-print with this many spaces (Python's `indent`). Default none (one line). */
  indent?: number;
  /** Sort keys by code point. Default false. */
  sortKeys?: boolean;
  /** `[item, key]` separators. Default `[", ", ": "]`, or `[",", ": "]` with `indent`. */
  separators?: readonly [string, string];
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function scalar(v: unknown): string | null {
  switch (typeof v) {
    case "string":
      return pythonJsonString(v);
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`Cannot write "${v}" as JSON: not finite`);
      if (Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
      return pythonFloatRepr(v);
    case "bigint":
      return v.toString();
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "null";
      if (v instanceof PyFloat) return pythonFloatRepr(v.value);
      return null;
  }
}

/**
 * Python's `json.dumps` with `ensure_ascii=True`, including the `indent` form zu uses for
 * capture bundles (`{}`/`[]` for empty containers, `,` item separator when indenting).
 */
export function pyDumps(value: unknown, options: PyDumpsOptions = {}): string {
  const indent = options.indent;
  const [item, key] = options.separators ?? (indent === undefined ? [", ", ": "] : [",", ": "]);
  const sort = options.sortKeys ?? false;
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    const s = scalar(v);
    if (s !== null) {
      out.push(s);
      return;
    }
    if (typeof v !== "object" || v === null) {
      throw new TypeError(`Cannot write a ${typeof v} as JSON`);
    }
    const nl = indent === undefined ? "" : "\n" + " ".repeat(indent * (depth + 1));
    const close = indent === undefined ? "" : "\n" + " ".repeat(indent * depth);
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push("[]");
        return;
      }
      out.push("[");
      v.forEach((x, i) => {
        out.push(i === 0 ? nl : item + nl);
        walk(x, depth + 1);
      });
      out.push(close + "]");
      return;
    }
    if (!isPlainObject(v)) throw new TypeError("Cannot write a non-plain object as JSON");
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    if (sort) keys.sort(compareCodePoints);
    if (keys.length === 0) {
      out.push("{}");
      return;
    }
    out.push("{");
    keys.forEach((k, i) => {
      out.push((i === 0 ? nl : item + nl) + pythonJsonString(k) + key);
      walk(rec[k], depth + 1);
    });
    out.push(close + "}");
  };
  walk(value, 0);
  return out.join("");
}

// Python's str.isprintable() is false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (but ' ').
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function reprChar(ch: string, quote: string): string {
  if (ch === "\\") return "\\\\";
  if (ch === quote) return "\\" + quote;
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  if (ch !== " " && NON_PRINTABLE.test(ch)) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x100) return "\\x" + cp.toString(16).padStart(2, "0");
    if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
    return "\\U" + cp.toString(16).padStart(8, "0");
  }
  return ch;
}

/** Python's `repr(str)`: single quotes unless the text has `'` and no `"`. */
export function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) out += reprChar(ch, quote);
  return out + quote;
}

/** Python's `repr()` of a JSON value (`'a'`, `3`, `3.5`, `True`, `None`, `{'k': [1]}`). */
export function pyRepr(v: unknown): string {
  if (typeof v === "string") return pyReprString(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object" && !(v instanceof PyFloat)) {
    const rec = v as Record<string, unknown>;
    return `{${Object.keys(rec).map((k) => `${pyReprString(k)}: ${pyRepr(rec[k])}`).join(", ")}}`;
  }
  return pyStr(v);
}

/** Python's `str()` of a JSON value (strings unchanged, floats as repr, containers as repr). */
export function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof PyFloat) return pythonFloatRepr(v.value);
  if (typeof v === "number") {
    return Number.isInteger(v) && Number.isSafeInteger(v) ? String(v) : pythonFloatRepr(v);
  }
  return pyRepr(v);
}
