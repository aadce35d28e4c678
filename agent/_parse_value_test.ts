import { deepStrictEqual } from "node:assert/strict";
import { parseValue } from "./_parse_value.ts";

Deno.test("parseValue reads whole JSON, fences, then the first balanced object", () => {
  deepStrictEqual(parseValue(' {"a": 1} '), { a: 1 });
  deepStrictEqual(parseValue('```json\n{"a": 2}\n```'), { a: 2 });
  deepStrictEqual(parseValue('Here:\n```\n{"a": 3}\n```\nthanks'), { a: 3 });
  deepStrictEqual(parseValue('The answer is {"a": {"b": "}"}} as asked'), { a: { b: "}" } });
  deepStrictEqual(parseValue("[1, 2]"), { value: [1, 2] });
  deepStrictEqual(parseValue("no json here"), { text: "no json here" });
});
