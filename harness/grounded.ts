/**
 * The values a capture's answer is grounded on, as zu's harden computes them: the last text move
 * (parsed as JSON when it is JSON, with Python's dict order), flattened to the distinct, stripped,
 * non-empty `str()` of its scalar leaves (strings, ints, floats; not booleans), in first-seen order.
 *
 * @example
 * ```ts
 * import { groundedValues } from "./grounded.ts";
 * const b = { moves: [{ text: '{"a": " x ", "n": 3, "f": true}' }] };
 * console.assert(groundedValues(b).join("|") === "x|3");
 * ```
 * @module
 */
import { pythonFloatRepr } from "../core/json.ts";
import { parseJson } from "../core/json.ts";
import type { Bundle } from "./bundle.ts";
import { pyJsonLoads, type PyNode } from "../core/python/mod.ts";

/** The last move with a non-empty `text`, or null. */
function finalText(bundle: Pick<Bundle, "moves">): string | null {
  for (let i = bundle.moves.length - 1; i >= 0; i--) {
    const m = bundle.moves[i] as Record<string, unknown>;
    if ("text" in m && typeof m.text === "string" && m.text !== "") return m.text;
  }
  return null;
}

/** The captured answer: the last non-empty text move, parsed when it is JSON (else the text). */
export function finalValue(bundle: Pick<Bundle, "moves">): unknown {
  const text = finalText(bundle);
  if (text === null) return null;
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

// Python's str.strip() whitespace (str.isspace), which differs from JavaScript's trim().
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/** Python's `str.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, "");
}

function floatStr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return pythonFloatRepr(x);
}

function collect(node: PyNode, out: string[]): void {
  switch (node.kind) {
    case "dict":
      for (const v of node.entries.values()) collect(v, out);
      return;
    case "list":
      for (const v of node.items) collect(v, out);
      return;
    case "bool":
    case "null":
      return;
    default: {
      const s = pyStrip(
        node.kind === "str" ? node.value : node.kind === "int" ? node.text : floatStr(node.value),
      );
      if (s !== "") out.push(s);
    }
  }
}

/** Distinct grounded value strings, in first-seen order (zu's `dict.fromkeys(_value_strings(...))`). */
export function groundedValues(bundle: Pick<Bundle, "moves">): string[] {
  const text = finalText(bundle);
  if (text === null) return [];
  let node: PyNode;
  try {
    node = pyJsonLoads(text);
  } catch {
    node = { kind: "str", value: text };
  }
  const out: string[] = [];
  collect(node, out);
  return [...new Set(out)];
}
