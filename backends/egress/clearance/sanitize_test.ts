import assert from "node:assert/strict";
import { OPERATOR_TEXT_MAX, sanitizeForOperator } from "./sanitize.ts";
import { isRequestId, newRequestId } from "./request_id.ts";

Deno.test("sanitizeForOperator turns ANSI escapes, bidi controls, NUL and non-ASCII into spaces", () => {
  assert.equal(sanitizeForOperator("a\x1b[31mb"), "a [31mb");
  assert.equal(sanitizeForOperator("evil\u202etxt.exe"), "evil txt.exe");
  assert.equal(sanitizeForOperator("a\0b\r\nc\td\x7f"), "a b  c d ");
  assert.equal(sanitizeForOperator("bücher.test 😀"), "b cher.test  ");
  for (const bidi of ["\u200e", "\u200f", "\u202a", "\u2066", "\u2069", "\ufeff"]) {
    assert.equal(sanitizeForOperator(`x${bidi}y`), "x y");
  }
});

Deno.test("sanitizeForOperator caps the length (253 by default) and keeps printable ASCII", () => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
  assert.equal(sanitizeForOperator(printable), printable);
  assert.equal(sanitizeForOperator("x".repeat(1000)).length, OPERATOR_TEXT_MAX);
  assert.equal(sanitizeForOperator("abcdef", 3), "abc");
  assert.equal(sanitizeForOperator(42), "42");
  assert.throws(() => sanitizeForOperator("a", -1), RangeError);
});

Deno.test("newRequestId makes distinct uuid v7 ids that sort by time", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(isRequestId(id), id);
  assert.ok(newRequestId(1000) < newRequestId(2000));
  assert.ok(!isRequestId("0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B"));
});
