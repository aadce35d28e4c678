/**
 * The values a capture's answer is grounded on, as zu's harden computes them: the last text move
 * (parsed as JSON when it is JSON), flattened to the distinct, stripped, non-empty `str()` of its
 * scalar leaves (strings, ints, floats; not booleans), in first-seen order.
 *
 * @example
 * ```ts
 * import { groundedValues } from "./grounded.ts";
 * const b = { task: "q", model: null, observations: {}, moves: [{ text: '{"a": " x ", "n": 3, "f": true}' }] };
 * console.assert(groundedValues(b).join("|") === "x|3");
 * ```
 * @module
 */
import { parseJson } from "../core/json.ts";
import type { Bundle } from "./bundle.ts";
import { pyStr } from "./_pyjson.ts";

/** The captured answer: the last move with a non-empty `text`, parsed when it is JSON. */
export function finalValue(bundle: Pick<Bundle, "moves">): unknown {
  for (let i = bundle.moves.length - 1; i >= 0; i--) {
    const m = bundle.moves[i] as Record<string, unknown>;
    if ("text" in m && typeof m.text === "string" && m.text !== "") {
      try {
        return parseJson(m.text);
      } catch {
        return m.text;
      }
    }
  }
  return null;
}

function collect(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
  } else if (typeof value === "boolean" || value === null || value === undefined) {
    return;
  } else if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out);
  } else {
    // Python's str.strip() strips Unicode whitespace, as JS trim() does.
    const s = pyStr(value).trim();
    if (s !== "") out.push(s);
  }
}

/** Distinct grounded value strings, in first-seen order (zu's `dict.fromkeys(_value_strings(...))`). */
export function groundedValues(bundle: Pick<Bundle, "moves">): string[] {
  const out: string[] = [];
  collect(finalValue(bundle), out);
  return [...new Set(out)];
}
