import { equal } from "node:assert/strict";
import { PyFloat } from "../core/json.ts";
import { argMismatch, toolParameters } from "./_arg_check.ts";

const params = {
  type: "object",
  properties: {
    q: { type: "string" },
    n: { type: "number" },
    i: { type: "integer" },
    mode: { enum: ["a", "b"] },
    k: { enum: [1, 2] },
    any: { type: ["string", "null"] },
  },
  required: ["q"],
  additionalProperties: false,
};

Deno.test("a missing required argument is named as zu names it", () => {
  equal(
    argMismatch({ query: "x" }, { ...params, additionalProperties: true }),
    "missing required argument 'q'",
  );
});

Deno.test("unknown arguments are listed sorted in zu's wording", () => {
  equal(
    argMismatch({ q: "x", lang: "en" }, params),
    "unexpected argument(s) ['lang'] (additionalProperties: false)",
  );
  equal(
    argMismatch({ zz: 1, q: "x", b: 2 }, params),
    "unexpected argument(s) ['b', 'zz'] (additionalProperties: false)",
  );
});

Deno.test("a wrong type names the declared type and the Python type given", () => {
  equal(argMismatch({ q: "x", n: true }, params), "argument 'n' must be number, got bool");
  equal(argMismatch({ q: 3 }, params), "argument 'q' must be string, got int");
  equal(argMismatch({ q: "x", i: 1.5 }, params), "argument 'i' must be integer, got float");
  equal(
    argMismatch({ q: "x", i: new PyFloat(2) }, params),
    "argument 'i' must be integer, got float",
  );
  equal(argMismatch({ q: null }, params), "argument 'q' must be string, got NoneType");
  equal(argMismatch({ q: ["x"] }, params), "argument 'q' must be string, got list");
  equal(argMismatch({ q: { a: 1 } }, params), "argument 'q' must be string, got dict");
});

Deno.test("a list of types is not checked, as in zu", () => {
  equal(argMismatch({ q: "x", any: 5 }, params), null);
});

Deno.test("enum membership uses Python equality and zu's wording", () => {
  equal(
    argMismatch({ q: "x", mode: "c" }, params),
    "argument 'mode'='c' is not one of the allowed values ['a', 'b']",
  );
  equal(argMismatch({ q: "x", k: true }, params), null);
  equal(argMismatch({ q: "x", k: new PyFloat(2) }, params), null);
  equal(
    argMismatch({ q: "x", k: "1" }, params),
    "argument 'k'='1' is not one of the allowed values [1, 2]",
  );
});

Deno.test("conforming arguments pass", () => {
  equal(argMismatch({ q: "x", n: 1.5, i: 3, mode: "a" }, params), null);
});

Deno.test("toolParameters finds parameters or a schema that is itself an object schema", () => {
  equal(toolParameters({ name: "t", parameters: params }), params);
  const direct = { type: "object", properties: {} };
  equal(toolParameters(direct), direct);
  equal(toolParameters({ name: "t" }), undefined);
  equal(toolParameters(null), undefined);
});
