import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { assembleRun, loadAgentConfig } from "../config.ts";
import { runTask } from "../loop.ts";
import { HttpFetch } from "../tools/mod.ts";
import { AnthropicProvider } from "./anthropic.ts";
import { OpenAICompatibleProvider } from "./openai_compatible.ts";
import { json, startLoopbackApi } from "./_loopback_api.ts";

const SHOP = new URL("../../fixtures/agents/shop-price/", import.meta.url);
const TARGET = "https://shop.example/products/espresso-grinder";
const ANSWER = '{"product": "Kestrel 58 Espresso Grinder", "price": "$249.00"}';

async function shopRun() {
  const run = await assembleRun(await loadAgentConfig(SHOP.pathname));
  const page = await Deno.readTextFile(new URL("pages/product.html", SHOP));
  const tool = new HttpFetch({
    allowedDomains: ["shop.example"],
    transport: () => Promise.resolve({ status: 200, body: page }),
  });
  tool.tier = 1;
  run.plugins.tools.set("http_fetch", tool);
  return run;
}

Deno.test("OpenAICompatibleProvider drives the loop: tool call, tool result with its id, answer", async () => {
  await using api = startLoopbackApi([
    () =>
      json({
        choices: [{
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{
              id: "srv_1",
              type: "function",
              function: { name: "http_fetch", arguments: JSON.stringify({ url: TARGET }) },
            }],
          },
          finish_reason: "tool_calls",
        }],
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
      }),
    () =>
      json({
        choices: [{ message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }],
        usage: { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 },
      }),
  ]);
  const run = await shopRun();
  const provider = new OpenAICompatibleProvider({
    model: "local-model",
    baseUrl: `${api.url}/v1`,
    env: () => undefined,
  });
  const sink = new MemorySink();
  await using bus = new EventBus(sink);
  const result = await runTask(run.spec, provider, run.plugins, bus, run.runOptions);
  assert.equal(result.status, "success", JSON.stringify(result));
  assert.deepEqual(result.value, JSON.parse(ANSWER));
  assert.equal(api.requests.length, 2);
  const first = api.requests[0]!.body;
  const tools = first.tools as Array<{ function: { name: string } }>;
  assert.deepEqual(tools.map((t) => t.function.name).sort(), [
    "html_parse",
    "http_fetch",
    "recall",
  ]);
  const msgs = api.requests[1]!.body.messages as Array<Record<string, unknown>>;
  const call = msgs.find((m) => m.role === "assistant" && Array.isArray(m.tool_calls));
  const reply = msgs.find((m) => m.role === "tool");
  const calls = call?.tool_calls as Array<{ id: string; function: { name: string } }>;
  assert.equal(calls[0]!.function.name, "http_fetch");
  assert.equal(reply?.tool_call_id, calls[0]!.id);
  assert.match(String(reply?.content), /Kestrel 58/);
});

Deno.test("AnthropicProvider drives the loop: tool_use, tool_result with its id, answer", async () => {
  await using api = startLoopbackApi([
    () =>
      json({
        content: [{
          type: "tool_use",
          id: "toolu_srv",
          name: "http_fetch",
          input: { url: TARGET },
        }],
        stop_reason: "tool_use",
        usage: { input_tokens: 100, output_tokens: 10 },
      }),
    () =>
      json({
        content: [{ type: "text", text: ANSWER }],
        stop_reason: "end_turn",
        usage: { input_tokens: 900, output_tokens: 20 },
      }),
  ]);
  const run = await shopRun();
  const provider = new AnthropicProvider({ baseUrl: api.url, apiKey: "sk-ant-test-key-123" });
  const sink = new MemorySink();
  await using bus = new EventBus(sink);
  const result = await runTask(run.spec, provider, run.plugins, bus, run.runOptions);
  assert.equal(result.status, "success", JSON.stringify(result));
  const second = api.requests[1]!.body;
  assert.equal(typeof second.system, "string");
  const msgs = second.messages as Array<{ role: string; content: unknown }>;
  assert.equal(msgs[0]!.role, "user");
  const use = (msgs[1]!.content as Array<Record<string, unknown>>).find((b) =>
    b.type === "tool_use"
  );
  const res = (msgs[2]!.content as Array<Record<string, unknown>>)[0]!;
  assert.equal(res.type, "tool_result");
  assert.equal(res.tool_use_id, use?.id);
  const turns = (await sink.query()).filter((e) => e.type === "harness.turn.completed");
  assert.deepEqual(turns.map((e) => e.payload.usage), [
    { input_tokens: 100, output_tokens: 10, total_tokens: 110 },
    { input_tokens: 900, output_tokens: 20, total_tokens: 920 },
  ]);
  assert.deepEqual(turns.map((e) => e.payload.model), ["claude-opus-4-8", "claude-opus-4-8"]);
});
