/**
 * Text from an event log made harmless for a terminal: control characters (ANSI escapes, bidi
 * controls, NUL) become `\u{..}` escapes, and long text is cut.
 *
 * @module
 */

/** `text` with every non-printable character escaped, at most `max` characters. */
export function printable(text: string, max = 200): string {
  let out = "";
  for (const c of text) {
    const n = c.codePointAt(0)!;
    const hidden = n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x61c ||
      (n >= 0x200b && n <= 0x200f) || (n >= 0x2028 && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069) || n === 0xfeff;
    out += hidden ? `\\u{${n.toString(16)}}` : c;
  }
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
