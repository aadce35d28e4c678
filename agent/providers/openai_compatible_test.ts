import assert from "node:assert/strict";
import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimited,
  ProviderTimeout,
  ProviderUnavailable,
} from "../../core/errors.ts";
import type { ModelRequest } from "../../core/contracts.ts";
import { type OpenAICompatibleOptions, OpenAICompatibleProvider } from "./openai_compatible.ts";
import {
  assertNoSecret,
  FETCH_TOOL,
  json,
  recordingSeams,
  startLoopbackApi,
} from "./_loopback_api.ts";

const KEY = "sk-test-5f1e9c0d7a3b4e21SECRET";

function request(): ModelRequest {
  return {
    messages: [
      { role: "system", content: "You are careful." },
      { role: "user", content: "Find the price" },
      {
        role: "assistant",
        tool_calls: [{ name: "http_fetch", args: { url: "https://a.example/" } }],
      },
      { role: "tool", name: "http_fetch", content: '{"status":200}' },
    ],
    tools: [FETCH_TOOL],
    params: {},
  };
}

function setup(url: string, extra: Partial<OpenAICompatibleOptions> = {}) {
  const { sleeps, warnings, seams } = recordingSeams(0.5);
  const env: Record<string, string> = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${url}/v1` };
  const provider = new OpenAICompatibleProvider({
    model: "test-model",
    env: (n) => env[n],
    ...seams,
    ...extra,
  });
  return { provider, sleeps, warnings, env };
}

function completion(message: Record<string, unknown>, finish = "stop", usage?: unknown) {
  return json({
    id: "x",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    ...(usage === undefined ? {} : { usage }),
  });
}

function assertNoKey(value: unknown): void {
  assertNoSecret(value, KEY);
}

Deno.test("OpenAICompatibleProvider sends a tool request and parses the tool call", async () => {
  await using api = startLoopbackApi([() =>
    completion(
      {
        content: null,
        tool_calls: [{
          id: "call_abc",
          type: "function",
          function: { name: "http_fetch", arguments: '{"url":"https://shop.example/"}' },
        }],
      },
      "tool_calls",
      { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    )]);
  const { provider } = setup(api.url);
  const res = await provider.complete(request());
  assert.deepEqual(res, {
    text: null,
    tool_calls: [{ name: "http_fetch", args: { url: "https://shop.example/" } }],
    finish: "tool_calls",
    usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18 },
  });
  const got = api.requests[0]!;
  assert.equal(got.method, "POST");
  assert.equal(got.path, "/v1/chat/completions");
  assert.equal(got.headers.get("authorization"), `Bearer ${KEY}`);
  assert.equal(got.body.model, "test-model");
  assert.deepEqual(got.body.messages, [
    { role: "system", content: "You are careful." },
    { role: "user", content: "Find the price" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call_1",
        type: "function",
        function: { name: "http_fetch", arguments: '{"url":"https://a.example/"}' },
      }],
    },
    { role: "tool", tool_call_id: "call_1", content: '{"status":200}' },
  ]);
  assert.deepEqual(got.body.tools, [{ type: "function", function: FETCH_TOOL }]);
});

Deno.test("OpenAICompatibleProvider returns a text answer with stop and sampling params", async () => {
  await using api = startLoopbackApi([
    () =>
      completion({ content: '{"price": "$10"}' }, "stop", {
        prompt_tokens: 5,
        completion_tokens: 3,
      }),
  ]);
  const { provider } = setup(api.url, { temperature: 0.2, topP: 0.9, stop: ["\n\n"], seed: 7 });
  const res = await provider.complete({ ...request(), params: { max_tokens: 64, seed: 9 } });
  assert.equal(res.text, '{"price": "$10"}');
  assert.equal(res.finish, "stop");
  assert.deepEqual(res.tool_calls, []);
  assert.deepEqual(res.usage, { input_tokens: 5, output_tokens: 3, total_tokens: 8 });
  const body = api.requests[0]!.body;
  assert.equal(body.temperature, 0.2);
  assert.equal(body.top_p, 0.9);
  assert.deepEqual(body.stop, ["\n\n"]);
  assert.equal(body.seed, 9);
  assert.equal(body.max_tokens, 64);
});

Deno.test("OpenAICompatibleProvider maps finish_reason length and missing usage", async () => {
  await using api = startLoopbackApi([() => completion({ content: "cut" }, "length")]);
  const { provider } = setup(api.url);
  const res = await provider.complete(request());
  assert.equal(res.finish, "length");
  assert.deepEqual(res.usage, {});
});

Deno.test("OpenAICompatibleProvider retries a 429 and honours Retry-After", async () => {
  await using api = startLoopbackApi([
    () => json({ error: { message: "slow down" } }, 429, { "retry-after": "2" }),
    () => completion({ content: "ok" }),
  ]);
  const { provider, sleeps } = setup(api.url);
  const res = await provider.complete(request());
  assert.equal(res.text, "ok");
  assert.equal(api.requests.length, 2);
  assert.deepEqual(sleeps, [2000]);
});

Deno.test("OpenAICompatibleProvider caps a huge Retry-After", async () => {
  await using api = startLoopbackApi([
    () => json({ error: { message: "slow down" } }, 429, { "retry-after": "86400" }),
    () => completion({ content: "ok" }),
  ]);
  const { provider, sleeps } = setup(api.url);
  await provider.complete(request());
  assert.deepEqual(sleeps, [30_000]);
});

Deno.test("OpenAICompatibleProvider retries a 500 with exponential backoff and jitter", async () => {
  await using api = startLoopbackApi([
    () => json({ error: { message: "boom" } }, 500),
    () => json({ error: { message: "boom" } }, 502),
    () => completion({ content: "ok" }),
  ]);
  const { provider, sleeps } = setup(api.url);
  const res = await provider.complete(request());
  assert.equal(res.text, "ok");
  assert.equal(api.requests.length, 3);
  // base 500 ms, doubled, times (1 - 0.5 * random) with random = 0.5
  assert.deepEqual(sleeps, [375, 750]);
});

Deno.test("OpenAICompatibleProvider gives ProviderRateLimited after the retries run out", async () => {
  await using api = startLoopbackApi([() => json({ error: { message: "quota" } }, 429)]);
  const { provider } = setup(api.url);
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderRateLimited, String(err));
  assert.equal(err.code, "provider_rate_limited");
  assert.equal(api.requests.length, 3);
  assert.match(err.message, /HTTP 429\) after 3 attempts: quota/);
});

Deno.test("OpenAICompatibleProvider gives ProviderUnavailable on a persistent 503", async () => {
  await using api = startLoopbackApi([() => new Response("down", { status: 503 })]);
  const { provider } = setup(api.url, { maxRetries: 1 });
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderUnavailable, String(err));
  assert.equal(api.requests.length, 2);
});

Deno.test("OpenAICompatibleProvider gives ProviderAuthError on 401 without retrying", async () => {
  await using api = startLoopbackApi([
    () => json({ error: { message: `Incorrect API key provided: ${KEY}` } }, 401),
  ]);
  const { provider } = setup(api.url);
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderAuthError, String(err));
  assert.equal(api.requests.length, 1);
  assert.match(err.message, /HTTP 401 \(check "OPENAI_API_KEY"\)/);
  assertNoKey(err);
});

Deno.test("OpenAICompatibleProvider gives ProviderAuthError on 403", async () => {
  await using api = startLoopbackApi([() => json({ error: "forbidden" }, 403)]);
  const { provider } = setup(api.url);
  await assert.rejects(provider.complete(request()), ProviderAuthError);
});

Deno.test("OpenAICompatibleProvider turns a malformed tool-argument string into {} with a warning", async () => {
  await using api = startLoopbackApi([() =>
    completion({
      tool_calls: [
        { id: "a", type: "function", function: { name: "http_fetch", arguments: '{"url": "htt' } },
        { id: "b", type: "function", function: { name: "recall", arguments: "[1,2]" } },
        { id: "c", type: "function", function: { name: "html_parse", arguments: "" } },
      ],
    }, "tool_calls")]);
  const { provider, warnings } = setup(api.url);
  const res = await provider.complete(request());
  assert.deepEqual(res.tool_calls, [
    { name: "http_fetch", args: {} },
    { name: "recall", args: {} },
    { name: "html_parse", args: {} },
  ]);
  assert.equal(res.finish, "tool_calls");
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /Tool call "http_fetch" has arguments that are not a JSON object/);
});

Deno.test("OpenAICompatibleProvider treats empty choices as a stop with no answer", async () => {
  await using api = startLoopbackApi([
    () => json({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 0, total_tokens: 2 } }),
  ]);
  const { provider, warnings } = setup(api.url);
  const res = await provider.complete(request());
  assert.deepEqual(res, {
    text: null,
    tool_calls: [],
    finish: "stop",
    usage: { input_tokens: 2, output_tokens: 0, total_tokens: 2 },
  });
  assert.equal(warnings.length, 1);
});

Deno.test("OpenAICompatibleProvider gives ProviderTimeout when the server never answers", async () => {
  await using api = startLoopbackApi([() => "hang"]);
  const { provider } = setup(api.url, { timeoutMs: 150 });
  const started = performance.now();
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderTimeout, String(err));
  assert.match(err.message, /no answer within 150 ms/);
  assert.ok(performance.now() - started < 5000);
});

Deno.test("OpenAICompatibleProvider gives ProviderUnavailable when nothing listens", async () => {
  const api = startLoopbackApi([() => completion({ content: "never" })]);
  const url = api.url;
  await api.close();
  const { provider, sleeps } = setup(url);
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderUnavailable, String(err));
  assert.equal(sleeps.length, 2);
  assert.match(err.message, /unreachable after 3 attempts/);
});

Deno.test("OpenAICompatibleProvider sends not-needed when no key is set", async () => {
  await using api = startLoopbackApi([() => completion({ content: "local" })]);
  const { provider, env } = setup(api.url);
  delete env.OPENAI_API_KEY;
  await provider.complete(request());
  assert.equal(api.requests[0]!.headers.get("authorization"), "Bearer not-needed");
});

Deno.test("OpenAICompatibleProvider reads configurable env names", async () => {
  await using api = startLoopbackApi([() => completion({ content: "vllm" })]);
  const env: Record<string, string> = { VLLM_URL: `${api.url}/v1/`, VLLM_KEY: "k-local-123" };
  const provider = new OpenAICompatibleProvider({
    model: "m",
    baseUrlEnv: "VLLM_URL",
    apiKeyEnv: "VLLM_KEY",
    env: (n) => env[n],
  });
  assert.equal(provider.baseUrl(), `${api.url}/v1`);
  await provider.complete(request());
  assert.equal(api.requests[0]!.path, "/v1/chat/completions");
  assert.equal(api.requests[0]!.headers.get("authorization"), "Bearer k-local-123");
});

Deno.test("OpenAICompatibleProvider never shows the API key", async () => {
  await using api = startLoopbackApi([
    () => json({ error: { message: `bad request for key ${KEY}` } }, 400),
  ]);
  const explicit = new OpenAICompatibleProvider({ model: "m", apiKey: KEY, baseUrl: api.url });
  const { provider } = setup(api.url);
  for (const p of [explicit, provider]) {
    assertNoKey(p);
    assert.match(String(p), /api_key=\[redacted\]/);
    const err = await p.complete(request()).then(() => null, (e) => e);
    assert.ok(err instanceof ProviderError && !(err instanceof ProviderUnavailable), String(err));
    assert.match(err.message, /HTTP 400: bad request for key \[redacted\]/);
    assertNoKey(err);
  }
});

Deno.test("OpenAICompatibleProvider passes a caller abort through", async () => {
  await using api = startLoopbackApi([() => "hang"]);
  const { provider } = setup(api.url, { timeoutMs: 10_000 });
  const ac = new AbortController();
  const pending = provider.complete(request(), ac.signal);
  ac.abort(new Error("stop now"));
  await assert.rejects(pending, /stop now/);
});

Deno.test("OpenAICompatibleProvider requires a model", () => {
  assert.throws(
    () => new OpenAICompatibleProvider({} as unknown as OpenAICompatibleOptions),
    TypeError,
  );
});
