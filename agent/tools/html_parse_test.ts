import assert from "node:assert/strict";
import type { RunContext } from "../../core/types.ts";
import { HtmlParse } from "./html_parse.ts";

const CTX = {} as RunContext;
const SHOP = await Deno.readTextFile(new URL("./testdata/shop.html", import.meta.url));

async function select(selector: string, html = SHOP): Promise<Record<string, unknown>> {
  return await new HtmlParse().call(CTX, { html, selector });
}

Deno.test("HtmlParse declares a pure tier-1 tool with html and selector required", () => {
  const tool = new HtmlParse();
  assert.equal(tool.name, "html_parse");
  assert.equal(tool.tier, 1);
  assert.equal(tool.capabilities.size, 0);
  assert.equal(tool.egress.size, 0);
  assert.deepEqual(tool.schema.parameters["required"], ["html", "selector"]);
});

Deno.test("HtmlParse returns each match's collapsed text in document order", async () => {
  assert.deepEqual(await select("span.price"), {
    selector: "span.price",
    matches: ["4,20\u00a0€", "7,10\u00a0€"].map((s) => s.replace(/\s+/g, " ")),
    count: 2,
  });
  assert.deepEqual((await select(".desc"))["matches"], ["Chocolate, hazelnut and caramel."]);
});

Deno.test("HtmlParse supports attribute, combinator and pseudo-class selectors", async () => {
  assert.deepEqual((await select('article[data-sku="B-02"] .name'))["matches"], ["Kenya AA"]);
  assert.deepEqual((await select("article.product:not(.sold-out) > h2"))["matches"], [
    "House blend",
  ]);
  assert.deepEqual((await select("tr:nth-child(2) td:last-child"))["matches"], ["1,90 €"]);
  assert.deepEqual((await select("nav a + a"))["matches"], ["Beans"]);
  assert.equal((await select("#catalogue article"))["count"], 2);
});

Deno.test("HtmlParse parses real-world markup: unclosed tags, entities, scripts", async () => {
  assert.deepEqual((await select("main > p"))["matches"], ["Unclosed paragraph", "Another one"]);
  assert.deepEqual((await select("title"))["matches"], ["Café Lumière — Shop"]);
  assert.equal((await select("script"))["count"], 1);
});

Deno.test("HtmlParse reports zero matches as an empty list", async () => {
  assert.deepEqual(await select("div.nothing"), { selector: "div.nothing", matches: [], count: 0 });
  assert.deepEqual(await select("p", "just text, no markup"), {
    selector: "p",
    matches: [],
    count: 0,
  });
});

Deno.test("HtmlParse refuses HTML over 5 MB with an oversized_html observation", async () => {
  const big = `<p>${"x".repeat(5_000_000)}</p>`;
  const obs = await select("p", big);
  assert.equal(obs["blocked"], "oversized_html");
  assert.match(String(obs["error"]), /5000000-byte limit/);
  // Multi-byte text is measured in UTF-8 bytes, not characters.
  const wide = "€".repeat(1_700_000);
  assert.equal((await select("p", wide))["blocked"], "oversized_html");
  const small = new HtmlParse({ maxBytes: 10 });
  assert.equal(
    (await small.call(CTX, { html: "<p>12345678</p>", selector: "p" }))["blocked"],
    "oversized_html",
  );
});

Deno.test("HtmlParse throws SyntaxError on a malformed selector and TypeError on bad arguments", async () => {
  await assert.rejects(select("p[["), SyntaxError);
  await assert.rejects(new HtmlParse().call(CTX, { html: 1, selector: "p" }), TypeError);
  await assert.rejects(new HtmlParse().call(CTX, { html: "<p>", selector: "" }), TypeError);
});
