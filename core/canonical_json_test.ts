import assert from "node:assert/strict";
import {
  canonicalJson,
  compareCodePoints,
  escapeNonAscii,
  pythonJsonDumps,
} from "./canonical_json.ts";
import { canonicalEventText } from "./chain.ts";
import { parseEventJson, pyFloat } from "./json.ts";
import { compatLines } from "./_test_compat.ts";

Deno.test("canonicalJson reproduces the hashed text of every compat chain event", () => {
  const events = compatLines("chain/chain.jsonl").map(parseEventJson);
  const canon = compatLines("chain/canonical.jsonl").map((l) => JSON.parse(l));
  assert.equal(events.length, canon.length);
  events.forEach((e, i) => {
    assert.equal(e.event_id, canon[i].event_id);
    assert.equal(canonicalEventText(e, e.prev_hash), canon[i].canonical);
  });
});

Deno.test("canonicalJson escapes non-ASCII as lowercase \\uXXXX with surrogate pairs", () => {
  assert.equal(canonicalJson("é😀\u007f/"), '"\\u00e9\\ud83d\\ude00\\u007f/"');
  assert.equal(canonicalJson('\n\r\t\b\f\u0001"\\'), '"\\n\\r\\t\\b\\f\\u0001\\"\\\\"');
  assert.equal(canonicalJson("\u2028\u00ff\uffff"), '"\\u2028\\u00ff\\uffff"');
});

Deno.test("canonicalJson sorts keys by code point at every level", () => {
  const v = { "😀": 2, "ｆ": 1, a: 3, Z: 4, "é": 5, n: { b: 1, a: [{ d: 1, c: 2 }] } };
  assert.equal(
    canonicalJson(v),
    '{"Z":4,"a":3,"n":{"a":[{"c":2,"d":1}],"b":1},"\\u00e9":5,"\\uff46":1,"\\ud83d\\ude00":2}',
  );
  assert.ok(compareCodePoints("\uff46", "\u{1F600}") < 0);
  assert.ok(compareCodePoints("\u{1F600}", "\uff46") > 0);
  assert.ok(compareCodePoints("ab", "abc") < 0);
  assert.equal(compareCodePoints("x", "x"), 0);
});

Deno.test("canonicalJson writes ints in full and floats as Python's repr", () => {
  assert.equal(
    canonicalJson([
      3,
      pyFloat(3),
      0.5,
      1e-7,
      pyFloat(1e16),
      0.0001,
      Math.PI,
      -42,
      9007199254740993n,
    ]),
    "[3,3.0,0.5,1e-07,1e+16,0.0001,3.141592653589793,-42,9007199254740993]",
  );
  assert.equal(
    canonicalJson([1e-5, 1.5e-10, pyFloat(1e15), 123.456, pyFloat(-0)]),
    "[1e-05,1.5e-10,1000000000000000.0,123.456,-0.0]",
  );
  assert.equal(canonicalJson(2 ** 60), "1152921504606846976");
  assert.equal(
    canonicalJson({ a: null, b: true, c: false, d: [], e: {} }),
    '{"a":null,"b":true,"c":false,"d":[],"e":{}}',
  );
});

Deno.test("canonicalJson refuses values that are not JSON and names where they are", () => {
  assert.throws(() => canonicalJson({ a: { b: NaN } }), /\$\.a\.b.*not a finite number/);
  assert.throws(() => canonicalJson({ m: new Map() }), /\$\.m.*"Map" is not plain JSON/);
  assert.throws(() => canonicalJson([() => 1]), /\$\[0\].*function/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /cyclic/);
});

Deno.test("pythonJsonDumps uses Python's default separators and optional key sorting", () => {
  assert.equal(
    pythonJsonDumps({ url: "https://x/é", n: [1, 2] }),
    '{"url": "https://x/\\u00e9", "n": [1, 2]}',
  );
  assert.equal(pythonJsonDumps({ b: 1, a: 2 }, { sortKeys: true }), '{"a": 2, "b": 1}');
  assert.equal(pythonJsonDumps({ b: 1, a: 2 }, { separators: [",", ":"] }), '{"b":1,"a":2}');
  assert.equal(pythonJsonDumps({}), "{}");
});

Deno.test("canonicalJson writes deep values and still names a cycle", () => {
  let deep: unknown = "é";
  for (let i = 0; i < 100; i++) deep = i % 2 ? [deep] : { k: deep };
  const text = canonicalJson(deep);
  assert.ok(text.includes('"\\u00e9"') && text.startsWith('[{"k":[{"k":'));
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { again: cyclic };
  assert.throws(() => canonicalJson(cyclic), /\$\.self\.again.*cyclic/);
});

Deno.test("escapeNonAscii escapes every code unit from U+007F as lowercase \\uXXXX", () => {
  assert.equal(escapeNonAscii('"plain ascii"'), '"plain ascii"');
  assert.equal(escapeNonAscii('"\u007fé😀\uffff"'), '"\\u007f\\u00e9\\ud83d\\ude00\\uffff"');
});
