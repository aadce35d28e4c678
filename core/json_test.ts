import assert from "node:assert/strict";
import {
  isPyFloat,
  parseEventJson,
  parseJson,
  pydanticFloatRepr,
  pyFloat,
  toZuJson,
  zuJson,
} from "./json.ts";
import type { PyFloat } from "./json.ts";
import { newEvent } from "./events.ts";
import { compatLines } from "./_test_compat.ts";

Deno.test("parseJson keeps integral floats as PyFloat and big ints as bigint", () => {
  const v = parseJson(
    '{"a":3.0,"b":1e+16,"c":9007199254740993,"d":0.5,"e":7,"f":"3.0","g":-0.0}',
  ) as Record<string, unknown>;
  assert.ok(isPyFloat(v.a) && (v.a as PyFloat).value === 3);
  assert.ok(isPyFloat(v.b));
  assert.equal(v.c, 9007199254740993n);
  assert.equal(v.d, 0.5);
  assert.equal(v.e, 7);
  assert.equal(v.f, "3.0");
  assert.ok(isPyFloat(v.g) && Object.is((v.g as PyFloat).value, -0));
  assert.equal(+(v.a as PyFloat) * 2, 6);
});

Deno.test("parseJson takes the fast path without changing plain values", () => {
  const text = '{"ts":"2026-03-14T09:26:53.589793Z","h":"3e5a","n":[1,2.5]}';
  assert.deepEqual(parseJson(text), JSON.parse(text));
  assert.throws(() => parseJson("{bad"), SyntaxError);
});

Deno.test("toZuJson reproduces zu's model_dump_json byte for byte for every compat event", () => {
  const lines = [
    ...compatLines("chain/chain.jsonl"),
    ...compatLines("sink/expected.jsonl").map((l) => JSON.parse(l).json as string),
  ];
  for (const line of lines) assert.equal(toZuJson(parseEventJson(line)), line);
});

Deno.test("zuJson writes floats the way Pydantic does", () => {
  assert.equal(
    zuJson([pyFloat(3), 1e-7, pyFloat(1e16), 0.0001, 1e-5, 2 ** 70]),
    "[3.0,1e-7,1e+16,0.0001,1e-5,1180591620717411303424]",
  );
  assert.equal(pydanticFloatRepr(1.5e300), "1.5e+300");
  assert.throws(() => zuJson({ x: Infinity }), /\$\.x/);
});

Deno.test("toZuJson writes the twelve fields in zu's order", () => {
  const e = newEvent({
    task_id: "t",
    type: "harness.turn.started",
    payload: { step: 1 },
    event_id: "e",
    ts: "2026-01-01T00:00:00Z",
  });
  assert.equal(
    toZuJson(e),
    '{"event_id":"e","trace_id":"t","task_id":"t","parent_id":null,"type":"harness.turn.started","ts":"2026-01-01T00:00:00Z","source":"loop","payload":{"step":1},"schema_version":1,"prev_hash":null,"hash":null,"sig":null}',
  );
});

Deno.test("parseEventJson rejects a JSON value that is not an event", () => {
  assert.throws(() => parseEventJson("[1]"), TypeError);
  assert.throws(() => parseEventJson('{"event_id":"x"}'), /trace_id/);
});

Deno.test("parseEventJson keeps float and big-int meaning in the payload", () => {
  const line =
    '{"event_id":"e","trace_id":"t","task_id":"t","parent_id":null,"type":"data.x","ts":"2026-01-01T00:00:00.058927Z","source":"s","payload":{"r":3.0,"b":9007199254740993,"s":"x\\",\\"payload\\":1.0"},"schema_version":1,"prev_hash":null,"hash":null,"sig":null}';
  const e = parseEventJson(line);
  assert.ok(isPyFloat(e.payload.r));
  assert.equal(e.payload.b, 9007199254740993n);
  assert.equal(toZuJson(e), line);
  assert.throws(
    () => parseEventJson(line.replace('"parent_id":null', '"parent_id":1.0')),
    /parent_id/,
  );
});

Deno.test("parseJson finds ambiguous numbers after whitespace, in arrays and at the top level", () => {
  const v = parseJson(
    '{ "a" :\n [ 1 ,\t-2.0 , [ 3e2 ] ] , "b" : {"c":\r\n12345678901234567} }',
  ) as {
    a: [number, PyFloat, [PyFloat]];
    b: { c: bigint };
  };
  assert.equal(v.a[0], 1);
  assert.ok(isPyFloat(v.a[1]) && v.a[1].value === -2);
  assert.ok(isPyFloat(v.a[2][0]) && v.a[2][0].value === 300);
  assert.equal(v.b.c, 12345678901234567n);
  assert.ok(isPyFloat(parseJson(" 4.0 ")));
  assert.equal(parseJson("-17"), -17);
  assert.equal(parseJson("[0.1, -5, 1e-3]")?.toString(), "0.1,-5,0.001");
  // Number-like text inside strings stays text (and at worst costs a reviver pass).
  assert.deepEqual(parseJson('{"s":"a:1.0,[2e5","t":[":3.0"]}'), { s: "a:1.0,[2e5", t: [":3.0"] });
});

Deno.test("toZuJson writes plain and non-plain payloads alike through either writer", () => {
  class Point {
    x = 1;
  }
  const base = { task_id: "t", type: "harness.x" } as const;
  const cases: [Record<string, unknown>, string][] = [
    [
      { b: 1, a: [true, null, "é\u2028\u0000😀"], "2": -0, "10": {} },
      '{"2":0,"10":{},"b":1,"a":[true,null,"é\u2028\\u0000😀"]}',
    ],
    [{ f: 0.5, g: pyFloat(3), h: 2n ** 70n }, '{"f":0.5,"g":3.0,"h":1180591620717411303424}'],
    [{ skip: undefined, big: 2 ** 60, tiny: 1e-7 }, '{"big":1152921504606846976,"tiny":1e-7}'],
  ];
  for (const [payload, want] of cases) {
    const text = toZuJson(newEvent({ ...base, payload }));
    assert.equal(
      text.slice(text.indexOf(',"payload":') + 11, text.indexOf(',"schema_version":')),
      want,
    );
  }
  assert.throws(
    () => toZuJson(newEvent({ ...base, payload: { list: [1, undefined] } })),
    /\$\.payload\.list\[1\]/,
  );
  assert.throws(
    () => toZuJson(newEvent({ ...base, payload: { p: new Point() } })),
    /\$\.payload\.p.*"Point"/,
  );
});
