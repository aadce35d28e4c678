/**
 * zu's `_parse_value(text)`: the final answer as a dict. Tries the whole text as JSON, then an
 * enclosing code fence, then any fence, then the first balanced `{...}`; a non-object JSON value
 * becomes `{value: x}` and unparseable text `{text}`.
 *
 * @module
 */
import { parseJson } from "../core/json.ts";

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  const t = s.trim();
  if (t === "") return { ok: false };
  try {
    return { ok: true, value: parseJson(t) };
  } catch {
    return { ok: false };
  }
}

function asDict(v: unknown): Record<string, unknown> {
  if (
    v !== null && typeof v === "object" && !Array.isArray(v) &&
    Object.getPrototypeOf(v) === Object.prototype
  ) {
    return v as Record<string, unknown>;
  }
  return { value: v };
}

/** The first balanced `{...}` of `text` (string-aware), or null. */
export function firstBalancedObject(text: string): string | null {
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === "\\") escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}") {
        depth--;
        if (depth === 0) {
          const candidate = text.slice(start, i + 1);
          if (tryJson(candidate).ok) return candidate;
          break;
        }
      }
    }
  }
  return null;
}

const ENCLOSING_FENCE = /^```[A-Za-z0-9_-]*[ \t]*\n?([\s\S]*?)\n?[ \t]*```$/;
const ANY_FENCE = /```[A-Za-z0-9_-]*[ \t]*\n?([\s\S]*?)```/g;

/**
 * Parses a model's final text into a value dict.
 *
 * @example
 * ```ts
 * import { parseValue } from "./_parse_value.ts";
 * console.assert(parseValue('Answer: {"a": 1} as asked').a === 1);
 * console.assert(parseValue("[1]").value !== undefined && parseValue("hi").text === "hi");
 * ```
 */
export function parseValue(text: string): Record<string, unknown> {
  const whole = tryJson(text);
  if (whole.ok) return asDict(whole.value);
  const stripped = text.trim();
  const enclosing = ENCLOSING_FENCE.exec(stripped);
  if (enclosing) {
    const r = tryJson(enclosing[1] ?? "");
    if (r.ok) return asDict(r.value);
  }
  for (const m of stripped.matchAll(ANY_FENCE)) {
    const r = tryJson(m[1] ?? "");
    if (r.ok) return asDict(r.value);
  }
  const obj = firstBalancedObject(text);
  if (obj !== null) {
    const r = tryJson(obj);
    if (r.ok) return asDict(r.value);
  }
  return { text };
}
