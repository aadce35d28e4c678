/**
 * The one rule for text an operator sees that a sandbox could have chosen (a host name, a TLS
 * server name, a reason): printable ASCII only, anything else becomes a space, and the length is
 * capped. Used by every place that shows such text: the clearance events, the proxy's refusal
 * bodies, and (later) the CLI, the dashboard and notifications.
 *
 * @example
 * ```ts
 * import { sanitizeForOperator } from "./sanitize.ts";
 * console.assert(sanitizeForOperator("evil\x1b[2J\u202e.test") === "evil [2J .test");
 * ```
 * @module
 */

/** The default cap: the longest DNS name (253 characters). */
export const OPERATOR_TEXT_MAX = 253;

/**
 * `text` with every character outside printable ASCII (0x20..0x7e) replaced by one space (ANSI
 * ESC, bidi controls, NUL, line breaks, any non-ASCII letter), cut to `max` characters. A value
 * that is not a string is converted with `String()` first.
 *
 * @example
 * ```ts
 * import { sanitizeForOperator } from "./sanitize.ts";
 * console.assert(sanitizeForOperator("a\0b", 2) === "a ");
 * ```
 */
export function sanitizeForOperator(text: unknown, max: number = OPERATOR_TEXT_MAX): string {
  if (!Number.isInteger(max) || max < 0) {
    throw new RangeError(`Cannot sanitise text: max "${max}" is not a non-negative integer`);
  }
  const s = typeof text === "string" ? text : String(text);
  let out = "";
  // One space per code point (a surrogate pair is one character to the reader).
  for (const ch of s) {
    if (out.length >= max) break;
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c <= 0x7e ? ch : " ";
  }
  return out;
}
