/**
 * What the MCP door hands an assistant: every string made harmless (control characters, ANSI
 * escapes, bidi controls and NUL escaped as `\u{..}`) and cut, and the whole text bounded.
 *
 * @module
 */

/** The longest text of one tool result, in characters. */
export const MAX_RESULT_CHARS = 64 * 1024;
/** The longest single string inside a result. */
export const MAX_STRING_CHARS = 2000;

function hidden(n: number): boolean {
  return n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x61c ||
    (n >= 0x200b && n <= 0x200f) || (n >= 0x2028 && n <= 0x202e) ||
    (n >= 0x2066 && n <= 0x2069) || n === 0xfeff;
}

/** `text` with every non-printable character escaped, at most `max` characters (then `…`). */
export function harmless(text: string, max: number = MAX_STRING_CHARS): string {
  let out = "";
  for (const c of text) {
    const n = c.codePointAt(0)!;
    out += hidden(n) ? `\\u{${n.toString(16)}}` : c;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}

/** `value` with every string (keys too) made {@link harmless}; depth and width bounded. */
export function harmlessValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return harmless(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 12) return "[nested too deep]";
  if (Array.isArray(value)) {
    const items = value.slice(0, 500).map((v) => harmlessValue(v, depth + 1));
    if (value.length > 500) items.push(`[${value.length - 500} more items]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[harmless(k, 200)] = harmlessValue(v, depth + 1);
  }
  return out;
}

/**
 * Pretty JSON of `value` made harmless; a text over `max` characters is cut with a note (prefer
 * bounding lists before, so the JSON stays whole).
 *
 * @example
 * ```ts
 * import { boundedJson } from "./_bounded.ts";
 * console.assert(boundedJson({ host: "evil\u001b[31m" }).includes("\\\\u{1b}"));
 * ```
 */
export function boundedJson(value: unknown, max: number = MAX_RESULT_CHARS): string {
  const text = JSON.stringify(harmlessValue(value), null, 2) ?? "null";
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (cut: ${text.length - max} more characters)`;
}
