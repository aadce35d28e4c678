/**
 * A small JSON reader with Python `json.loads` semantics where they matter to harden: object keys
 * keep their text order (JavaScript objects move integer-like keys first), a repeated key keeps
 * its first position and its last value (a Python dict), `NaN`/`Infinity` are accepted, ints and
 * floats stay apart. Values come back as a tree of {@link PyNode}s.
 *
 * @module
 */

/** A parsed JSON value. */
export type PyNode =
  | { kind: "str"; value: string }
  | { kind: "int"; text: string }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "list"; items: PyNode[] }
  | { kind: "dict"; entries: Map<string, PyNode> };

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// JSON forbids raw control characters inside strings (Python's strict mode too).
// deno-lint-ignore no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** Parses `text` like Python's `json.loads`; throws `SyntaxError` where Python raises. */
export function pyJsonLoads(text: string): PyNode {
  let i = 0;
  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const value = (): PyNode => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries = new Map<string, PyNode>();
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "dict", entries };
      }
      for (;;) {
        ws();
        const k = value();
        if (k.kind !== "str") fail("Expecting property name enclosed in double quotes");
        ws();
        if (text[i++] !== ":") fail("Expecting ':' delimiter");
        entries.set((k as { value: string }).value, value());
        ws();
        const d = text[i++];
        if (d === "}") return { kind: "dict", entries };
        if (d !== ",") fail("Expecting ',' delimiter");
      }
    }
    if (c === "[") {
      i++;
      const items: PyNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "list", items };
      }
      for (;;) {
        items.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return { kind: "list", items };
        if (d !== ",") fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') {
      STRING.lastIndex = i;
      const m = STRING.exec(text);
      if (m === null) return fail("Invalid string");
      i = STRING.lastIndex;
      return { kind: "str", value: JSON.parse(m[0]) as string };
    }
    for (const [word, node] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return node;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail("Expecting value");
    i = NUMBER.lastIndex;
    return m[1] !== undefined || m[2] !== undefined
      ? { kind: "float", value: Number(m[0]) }
      : { kind: "int", text: BigInt(m[0]).toString() };
  };
  const out = value();
  ws();
  if (i !== text.length) fail("Extra data");
  return out;
}

const LITERALS: [string, PyNode][] = [
  ["true", { kind: "bool", value: true }],
  ["false", { kind: "bool", value: false }],
  ["null", { kind: "null" }],
  ["NaN", { kind: "float", value: NaN }],
  ["Infinity", { kind: "float", value: Infinity }],
  ["-Infinity", { kind: "float", value: -Infinity }],
];
