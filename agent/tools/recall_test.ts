import assert from "node:assert/strict";
import { type Event, newEvent, SOURCE_FETCHED, TOOL_RETURNED } from "../../core/events.ts";
import type { RunContext } from "../../core/types.ts";
import { Recall, RECALL_WINDOW } from "./recall.ts";

const TASK = "4f0c6a53-8f0e-4a51-9a52-3f8f2f8f1a01";

function fetched(source: string, payload: Record<string, unknown>): Event {
  return newEvent({ task_id: TASK, type: SOURCE_FETCHED, source, payload });
}

function ctx(events: Event[]): RunContext {
  return { events } as unknown as RunContext;
}

Deno.test("Recall declares a pure tier-1 tool with query required", () => {
  const tool = new Recall();
  assert.equal(tool.name, "recall");
  assert.equal(tool.tier, 1);
  assert.equal(tool.capabilities.size, 0);
  assert.equal(tool.egress.size, 0);
  assert.deepEqual(tool.schema.parameters["required"], ["query"]);
});

Deno.test("Recall finds a case-insensitive match with its source and a window around it", async () => {
  const events = [
    fetched("http_fetch", { status: 200, url: "https://shop.test/", html: "<b>PRICE: 4,20 €</b>" }),
    fetched("lookup", { text: "The price list is on page 2." }),
  ];
  const obs = await new Recall().call(ctx(events), { query: "price" });
  assert.deepEqual(obs, {
    query: "price",
    matches: 2,
    content: "[https://shop.test/] <b>PRICE: 4,20 €</b>\n\n[lookup] The price list is on page 2.",
  });
});

Deno.test("Recall keeps 240 characters on each side and marks the cuts", async () => {
  const text = `${"a".repeat(500)}NEEDLE${"b".repeat(500)}`;
  const obs = await new Recall().call(ctx([fetched("t", { content: text })]), { query: "needle" });
  assert.equal(RECALL_WINDOW, 240);
  assert.equal(obs["content"], `[t] …${"a".repeat(240)}NEEDLE${"b".repeat(240)}…`);
});

Deno.test("Recall scans content, text and html and ignores other events and fields", async () => {
  const events = [
    fetched("a", {
      content: "kiwi one",
      text: "kiwi two",
      html: "<i>kiwi</i> three",
      title: "kiwi",
    }),
    newEvent({ task_id: TASK, type: TOOL_RETURNED, source: "a", payload: { text: "kiwi" } }),
  ];
  const obs = await new Recall().call(ctx(events), { query: "KIWI" });
  assert.equal(obs["matches"], 3);
});

Deno.test("Recall does not search its own earlier results", async () => {
  const events = [
    fetched("page", { text: "mango" }),
    fetched("recall", { query: "mango", matches: 1, content: "[page] mango" }),
  ];
  assert.equal((await new Recall().call(ctx(events), { query: "mango" }))["matches"], 1);
});

Deno.test("Recall with no match returns empty content, so nothing can ground on it", async () => {
  const obs = await new Recall().call(ctx([fetched("p", { text: "nothing here" })]), {
    query: "4.20",
  });
  assert.deepEqual(obs, { query: "4.20", matches: 0, content: "" });
});

Deno.test("Recall treats the query literally, not as a pattern", async () => {
  const events = [fetched("p", { text: "cost (a+b) is 3.50, not 3x50" })];
  assert.equal((await new Recall().call(ctx(events), { query: "(a+b)" }))["matches"], 1);
  assert.equal((await new Recall().call(ctx(events), { query: "3.50" }))["matches"], 1);
});

Deno.test("Recall caps content at max_chars (default 4000) but counts every match", async () => {
  const events = Array.from(
    { length: 30 },
    (_, i) => fetched(`s${i}`, { text: `${"z".repeat(300)}hit${i}` }),
  );
  const all = await new Recall().call(ctx(events), { query: "hit" });
  assert.equal(all["matches"], 30);
  assert.equal((all["content"] as string).length, 4000);
  const few = await new Recall().call(ctx(events), { query: "hit", max_chars: 50 });
  assert.equal((few["content"] as string).length, 50);
});

Deno.test("Recall never cuts a character in half", async () => {
  const text = `${"😀".repeat(300)}X${"😀".repeat(300)}`;
  const obs = await new Recall().call(ctx([fetched("e", { text })]), {
    query: "x",
    max_chars: 101,
  });
  const content = obs["content"] as string;
  assert.ok(!/[\ud800-\udbff]$/.test(content));
  assert.ok(
    !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(content),
  );
});

Deno.test("Recall rejects a missing query or a bad max_chars with TypeError", async () => {
  await assert.rejects(new Recall().call(ctx([]), {}), TypeError);
  await assert.rejects(new Recall().call(ctx([]), { query: "x", max_chars: 0 }), TypeError);
  await assert.rejects(new Recall().call(ctx([]), { query: "x", max_chars: "9" }), TypeError);
});
