/**
 * Helpers shared by the built-in checks: the content keys of an observation and a crude
 * visible-text extraction.
 *
 * @module
 */

/** The keys that carry page content in an observation, in zu's order. */
export const CONTENT_KEYS: readonly string[] = Object.freeze(["html", "text", "content"]);

/** The observation's content strings (html, text, content; a list of parts contributes its text). */
export function contentStrings(obs: Readonly<Record<string, unknown>> | null): string[] {
  if (obs === null) return [];
  const out: string[] = [];
  for (const k of CONTENT_KEYS) {
    const v = obs[k];
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) {
      for (const part of v) {
        if (typeof part === "string") out.push(part);
        else if (part !== null && typeof part === "object") {
          const t = (part as Record<string, unknown>).text;
          if (typeof t === "string") out.push(t);
        }
      }
    }
  }
  return out;
}

/** Visible text of an HTML string: scripts, styles and tags removed, whitespace collapsed. */
export function visibleText(html: string): string {
  return html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script\s*>/gi, " ")
    .replace(/<style\b[^>]*>[\s\S]*?<\/style\s*>/gi, " ")
    .replace(/<noscript\b[^>]*>[\s\S]*?<\/noscript\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
