import { equal } from "node:assert/strict";
import { parseJson } from "../../core/json.ts";
import type { RunContext } from "../../core/types.ts";
import { GroundingValidator } from "./grounding.ts";
import { builtinValidators } from "./mod.ts";
import { SchemaValidator } from "./schema.ts";

const schemaCtx = (output_schema: Record<string, unknown>) =>
  ({ spec: { output_schema } }) as unknown as RunContext;
const fetched = (...pages: Record<string, unknown>[]) =>
  ({
    events: pages.map((payload) => ({ type: "data.source.fetched", payload })),
  }) as unknown as RunContext;

const SCHEMA = {
  type: "object",
  properties: {
    cafe: { type: "string" },
    opens: { type: "string" },
    tags: { type: "array", items: { enum: ["a", "b"] } },
  },
  required: ["cafe", "opens", "closes"],
};

Deno.test("schema reports jsonschema's message for the shallowest first error", () => {
  const v = new SchemaValidator();
  equal(
    v.check({ cafe: "x", opens: "y" }, schemaCtx(SCHEMA))?.detail,
    "'closes' is a required property",
  );
  equal(
    v.check({ cafe: 5, opens: "y", closes: "z" }, schemaCtx(SCHEMA))?.detail,
    "5 is not of type 'string'",
  );
  equal(
    v.check({ cafe: "x", opens: "y", closes: "z", tags: ["c"] }, schemaCtx(SCHEMA))?.detail,
    "'c' is not one of ['a', 'b']",
  );
  equal(
    v.check({ a: 1, b: 2 }, schemaCtx({ type: "object", additionalProperties: false }))?.detail,
    "Additional properties are not allowed ('a', 'b' were unexpected)",
  );
  equal(v.check({ cafe: "x", opens: "y", closes: "z" }, schemaCtx(SCHEMA)), null);
  equal(v.check({ anything: 1 }, schemaCtx({})), null);
});

Deno.test("schema is terminal for an invalid schema", () => {
  equal(new SchemaValidator().check({}, schemaCtx({ type: "no-such-type" }))?.severity, "terminal");
});

Deno.test("grounding finds values case-folded, whitespace-collapsed, on token boundaries", () => {
  const g = new GroundingValidator();
  const ctx = fetched({
    text: "Café LUMIÈRE:\n open  daily 08:30 to 21:00. Phone +81 3-1234-5678. Price ¥650",
  });
  equal(g.check({ cafe: "café lumière", opens: "open daily 08:30" }, ctx), null);
  equal(g.check({ price: 650, n: 81 }, ctx), null);
  equal(g.check({ part: "1234" }, ctx)?.detail, "value for 'part' not found in retrieved content");
  equal(g.check({ part: "30" }, ctx)?.detail, "value for 'part' not found in retrieved content");
  equal(g.check({ word: "lumi" }, ctx)?.detail, "value for 'word' not found in retrieved content");
  equal(g.check({ flag: true, none: null }, ctx), null);
});

Deno.test("grounding writes floats as Python str and joins pages with a newline", () => {
  const g = new GroundingValidator();
  const value = parseJson('{"rating": 4.0}') as Record<string, unknown>;
  equal(g.check(value, fetched({ html: "rated 4.0 stars" })), null);
  equal(g.check(value, fetched({ html: "rated 4 stars" }))?.severity, "retry");
  equal(
    g.check({ s: "menu is seasonal" }, fetched({ text: "the menu is" }, { html: "seasonal" })),
    null,
  );
  equal(
    g.check({ nested: { deep: ["x", "zzz"] } }, fetched({ text: "x" }))?.detail,
    "value for 'deep' not found in retrieved content",
  );
});

Deno.test("builtinValidators builds every validator under its registry name", () => {
  for (const [name, make] of builtinValidators()) equal(make().name, name);
});

Deno.test("schema prefers a type mismatch over another error at the same depth", () => {
  const schema = {
    type: "object",
    properties: { a: { type: "string", enum: ["x"] }, b: { type: "string" } },
  };
  equal(
    new SchemaValidator().check({ a: "y", b: 1 }, schemaCtx(schema))?.detail,
    "1 is not of type 'string'",
  );
  equal(
    new SchemaValidator().check({ a: "y", b: "z" }, schemaCtx(schema))?.detail,
    "'y' is not one of ['x']",
  );
});
