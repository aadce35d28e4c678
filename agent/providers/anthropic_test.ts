import assert from "node:assert/strict";
import {
  ProviderAuthError,
  ProviderRateLimited,
  ProviderTimeout,
  ProviderUnavailable,
} from "../../core/errors.ts";
import type { ModelRequest } from "../../core/contracts.ts";
import { type AnthropicOptions, AnthropicProvider } from "./anthropic.ts";
import {
  assertNoSecret,
  FETCH_TOOL,
  json,
  recordingSeams,
  startLoopbackApi,
} from "./_loopback_api.ts";

const KEY = "sk-ant-api03-7d0c2b1aSECRETSECRET";

function request(): ModelRequest {
  return {
    messages: [
      { role: "system", content: "You are careful." },
      { role: "system", content: "Answer in JSON." },
      { role: "user", content: "Find the price" },
      {
        role: "assistant",
        content: "Fetching both.",
        tool_calls: [
          { name: "http_fetch", args: { url: "https://a.example/" } },
          { name: "http_fetch", args: { url: "https://b.example/" } },
        ],
      },
      { role: "tool", name: "http_fetch", content: '{"status":200}' },
      { role: "tool", name: "http_fetch", content: '{"status":404}' },
    ],
    tools: [FETCH_TOOL],
    params: {},
  };
}

function setup(url: string, extra: Partial<AnthropicOptions> = {}) {
  const { sleeps, warnings, seams } = recordingSeams(0);
  const env: Record<string, string> = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url };
  const provider = new AnthropicProvider({
    env: (n) => env[n],
    ...seams,
    ...extra,
  });
  return { provider, sleeps, warnings, env };
}

function message(content: unknown[], stop = "end_turn", usage: unknown = undefined) {
  return json({
    id: "msg_1",
    type: "message",
    role: "assistant",
    content,
    stop_reason: stop,
    ...(usage === undefined ? {} : { usage }),
  });
}

function assertNoKey(value: unknown): void {
  assertNoSecret(value, KEY);
}

Deno.test("AnthropicProvider sends a Messages request and parses a tool_use block", async () => {
  await using api = startLoopbackApi([() =>
    message(
      [
        { type: "text", text: "Let me look." },
        {
          type: "tool_use",
          id: "toolu_x",
          name: "http_fetch",
          input: { url: "https://c.example/" },
        },
      ],
      "tool_use",
      { input_tokens: 20, output_tokens: 9 },
    )]);
  const { provider } = setup(api.url);
  const res = await provider.complete(request());
  assert.deepEqual(res, {
    text: "Let me look.",
    tool_calls: [{ name: "http_fetch", args: { url: "https://c.example/" } }],
    finish: "tool_calls",
    usage: { input_tokens: 20, output_tokens: 9, total_tokens: 29 },
  });
  const got = api.requests[0]!;
  assert.equal(got.path, "/v1/messages");
  assert.equal(got.headers.get("x-api-key"), KEY);
  assert.equal(got.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(got.headers.get("authorization"), null);
  assert.equal(got.body.model, "claude-opus-4-8");
  assert.equal(got.body.max_tokens, 4096);
  assert.equal(got.body.system, "You are careful.\n\nAnswer in JSON.");
  assert.deepEqual(got.body.messages, [
    { role: "user", content: "Find the price" },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Fetching both." },
        {
          type: "tool_use",
          id: "toolu_1",
          name: "http_fetch",
          input: { url: "https://a.example/" },
        },
        {
          type: "tool_use",
          id: "toolu_2",
          name: "http_fetch",
          input: { url: "https://b.example/" },
        },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: '{"status":200}' },
        { type: "tool_result", tool_use_id: "toolu_2", content: '{"status":404}' },
      ],
    },
  ]);
  assert.deepEqual(got.body.tools, [{
    name: "http_fetch",
    description: "Fetch a page",
    input_schema: FETCH_TOOL.parameters,
  }]);
});

Deno.test("AnthropicProvider returns a text answer and maps sampling params", async () => {
  await using api = startLoopbackApi([
    () =>
      message(
        [{ type: "text", text: '{"price":' }, { type: "text", text: ' "$10"}' }],
        "end_turn",
        {
          input_tokens: 3,
          output_tokens: 4,
        },
      ),
  ]);
  const { provider } = setup(api.url, { temperature: 0, topK: 5, stop: "END", model: "claude-x" });
  const res = await provider.complete({ ...request(), params: { max_tokens: 100, top_p: 0.5 } });
  assert.equal(res.text, '{"price": "$10"}');
  assert.equal(res.finish, "stop");
  assert.deepEqual(res.usage, { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
  const body = api.requests[0]!.body;
  assert.equal(body.model, "claude-x");
  assert.equal(body.max_tokens, 100);
  assert.equal(body.temperature, 0);
  assert.equal(body.top_k, 5);
  assert.equal(body.top_p, 0.5);
  assert.deepEqual(body.stop_sequences, ["END"]);
});

Deno.test("AnthropicProvider maps stop_reason max_tokens to length", async () => {
  await using api = startLoopbackApi([
    () => message([{ type: "text", text: "cut" }], "max_tokens"),
  ]);
  const { provider } = setup(api.url);
  const res = await provider.complete(request());
  assert.equal(res.finish, "length");
  assert.deepEqual(res.usage, {});
});

Deno.test("AnthropicProvider retries a 429 then succeeds", async () => {
  await using api = startLoopbackApi([
    () =>
      json({ type: "error", error: { type: "rate_limit_error", message: "slow" } }, 429, {
        "retry-after": "1",
      }),
    () => message([{ type: "text", text: "ok" }]),
  ]);
  const { provider, sleeps } = setup(api.url);
  assert.equal((await provider.complete(request())).text, "ok");
  assert.deepEqual(sleeps, [1000]);
});

Deno.test("AnthropicProvider retries a 500 and a 529 then succeeds", async () => {
  await using api = startLoopbackApi([
    () => json({ type: "error", error: { type: "api_error", message: "boom" } }, 500),
    () => json({ type: "error", error: { type: "overloaded_error", message: "busy" } }, 529),
    () => message([{ type: "text", text: "ok" }]),
  ]);
  const { provider, sleeps } = setup(api.url);
  assert.equal((await provider.complete(request())).text, "ok");
  assert.deepEqual(sleeps, [500, 1000]);
});

Deno.test("AnthropicProvider gives ProviderRateLimited and ProviderUnavailable after retries", async () => {
  {
    await using api = startLoopbackApi([() => json({ error: { message: "slow" } }, 429)]);
    const { provider } = setup(api.url, { maxRetries: 0 });
    await assert.rejects(provider.complete(request()), ProviderRateLimited);
    assert.equal(api.requests.length, 1);
  }
  {
    await using api = startLoopbackApi([() => json({ error: { message: "busy" } }, 529)]);
    const { provider } = setup(api.url);
    await assert.rejects(provider.complete(request()), ProviderUnavailable);
    assert.equal(api.requests.length, 3);
  }
});

Deno.test("AnthropicProvider gives ProviderAuthError on 401 and keeps the key out", async () => {
  await using api = startLoopbackApi([
    () =>
      json({
        type: "error",
        error: { type: "authentication_error", message: `invalid x-api-key ${KEY}` },
      }, 401),
  ]);
  const { provider } = setup(api.url);
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderAuthError, String(err));
  assert.equal(api.requests.length, 1);
  assert.match(err.message, /check "ANTHROPIC_API_KEY"/);
  assertNoKey(err);
});

Deno.test("AnthropicProvider refuses to call without a key", async () => {
  await using api = startLoopbackApi([() => message([{ type: "text", text: "never" }])]);
  const { provider, env } = setup(api.url);
  delete env.ANTHROPIC_API_KEY;
  await assert.rejects(provider.complete(request()), (e: unknown) => {
    assert.ok(e instanceof ProviderAuthError);
    assert.match(e.message, /no API key, "ANTHROPIC_API_KEY" is not set/);
    return true;
  });
  assert.equal(api.requests.length, 0);
});

Deno.test("AnthropicProvider turns a malformed tool input string into {} with a warning", async () => {
  await using api = startLoopbackApi([() =>
    message([
      { type: "tool_use", id: "t1", name: "http_fetch", input: '{"url": ' },
      { type: "tool_use", id: "t2", name: "recall", input: '{"query": "price"}' },
    ], "tool_use")]);
  const { provider, warnings } = setup(api.url);
  const res = await provider.complete(request());
  assert.deepEqual(res.tool_calls, [
    { name: "http_fetch", args: {} },
    { name: "recall", args: { query: "price" } },
  ]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /"http_fetch"/);
});

Deno.test("AnthropicProvider gives ProviderTimeout when the server never answers", async () => {
  await using api = startLoopbackApi([() => "hang"]);
  const { provider } = setup(api.url, { timeoutMs: 120 });
  await assert.rejects(provider.complete(request()), ProviderTimeout);
});

Deno.test("AnthropicProvider never shows the API key", async () => {
  await using api = startLoopbackApi([() => json({ error: { message: `echo ${KEY}` } }, 400)]);
  const explicit = new AnthropicProvider({ apiKey: KEY, baseUrl: api.url });
  assertNoKey(explicit);
  assert.match(Deno.inspect(explicit), /api_key=\[redacted\]/);
  assert.equal(JSON.stringify(explicit).includes("[redacted]"), true);
  const err = await explicit.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, /echo \[redacted\]/);
  assertNoKey(err);
});

Deno.test("AnthropicProvider refuses a history with a stray tool result", async () => {
  await using api = startLoopbackApi([() => message([{ type: "text", text: "never" }])]);
  const { provider } = setup(api.url);
  await assert.rejects(
    provider.complete({
      messages: [{ role: "user", content: "q" }, { role: "tool", name: "x", content: "{}" }],
      tools: [],
      params: {},
    }),
    TypeError,
  );
  assert.equal(api.requests.length, 0);
});
