import { equal } from "node:assert/strict";
import { argMismatch } from "./_arg_check.ts";

const params = {
  type: "object",
  properties: { q: { type: "string" }, n: { type: "number" }, mode: { enum: ["a", "b"] } },
  required: ["q"],
  additionalProperties: false,
};

Deno.test("argMismatch checks required, extras, types (bool is not a number) and enum", () => {
  equal(
    argMismatch({ query: "x" }, { ...params, additionalProperties: true }),
    "missing required argument 'q'",
  );
  equal(argMismatch({ q: "x", extra: 1 }, params), "unexpected argument 'extra'");
  equal(argMismatch({ q: "x", n: true }, params), "argument 'n' must be of type number");
  equal(argMismatch({ q: "x", mode: "c" }, params), "argument 'mode' must be one of ['a', 'b']");
  equal(argMismatch({ q: "x", n: 1.5, mode: "a" }, params), null);
});
