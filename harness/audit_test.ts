import assert from "node:assert/strict";
import { auditBundle } from "./audit.ts";
import type { Bundle } from "./bundle.ts";
import { pyDumps, pyRepr, pyStr } from "../core/python/mod.ts";

Deno.test("single-selector flags click/fill/select without near, counting browser and render_dom moves", () => {
  const b: Bundle = {
    task: "q",
    model: null,
    moves: [
      { tool: "http_fetch", args: { url: "https://a/" } },
      { tool: "browser", args: { op: "open", url: "https://a/" } },
      {
        tool: "browser",
        args: {
          op: "act",
          actions: [{ click: "#buy" }, { fill: "input[name='q']", value: "x", near: "Search" }, {
            wait_ms: 5,
          }],
        },
      },
      {
        tool: "render_dom",
        args: { url: "https://a/", actions: [{ select: "text=Size", value: "M" }, "junk"] },
      },
      { text: "{}" },
    ],
    observations: {},
  };
  assert.deepEqual(auditBundle(b), [
    {
      kind: "single-selector",
      where: "browser move #2",
      detail:
        "click '#buy' has no `near` fallback — one renamed selector breaks this step; add an alternate locator.",
    },
    {
      kind: "single-selector",
      where: "render_dom move #3",
      detail:
        "select 'text=Size' has no `near` fallback — one renamed selector breaks this step; add an alternate locator.",
    },
  ]);
});

Deno.test("single-occurrence counts haystacks, not hits, and skips values found nowhere", () => {
  const b: Bundle = {
    task: "q",
    model: null,
    moves: [{ text: '{"a": "x", "b": "yy", "c": "gone", "d": 7, "e": "it\'s"}' }],
    observations: {
      http_fetch: [{ html: "x x x yy", text: "yy" }, { html: "7 it's" }],
    },
  };
  assert.deepEqual(auditBundle(b).map((f) => f.where), [
    "value 'x'",
    "value '7'",
    `value "it's"`,
  ]);
});

Deno.test("Python text forms match repr, str and json.dumps", () => {
  assert.equal(pyRepr("08:30"), "'08:30'");
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyRepr(`it's "x"`), `'it\\'s "x"'`);
  assert.equal(pyRepr("a\nb\u00a0c\u200bé東"), "'a\\nb\\xa0c\\u200bé東'");
  assert.equal(pyRepr({ k: [1, true, null, 2.5] }), "{'k': [1, True, None, 2.5]}");
  assert.equal(pyStr(3), "3");
  assert.equal(pyStr(1e-7), "1e-07");
  assert.equal(pyDumps({ a: "é", b: [1, 2] }), '{"a": "\\u00e9", "b": [1, 2]}');
  assert.equal(
    pyDumps({ a: [], b: {}, c: [{}] }, { indent: 2 }),
    '{\n  "a": [],\n  "b": {},\n  "c": [\n    {}\n  ]\n}',
  );
});
