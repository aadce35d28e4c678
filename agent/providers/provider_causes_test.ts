import assert from "node:assert/strict";
import { ProviderAuthError, UserError } from "../../core/errors.ts";
import type { ModelRequest } from "../../core/contracts.ts";
import { OpenAICompatibleProvider } from "./openai_compatible.ts";
import { AnthropicProvider } from "./anthropic.ts";
import { json, startLoopbackApi } from "./_loopback_api.ts";

function request(): ModelRequest {
  return { messages: [{ role: "user", content: "Hi" }], tools: [], params: {} };
}

const noSleep = () => Promise.resolve();

Deno.test("a 401 for a call made without the key says the key variable is not set", async () => {
  await using api = startLoopbackApi([() => json({ error: { message: "no auth" } }, 401)]);
  const provider = new OpenAICompatibleProvider({
    model: "m",
    baseUrl: api.url,
    env: () => undefined,
    sleep: noSleep,
  });
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderAuthError, String(err));
  assert.match(err.message, /HTTP 401: "OPENAI_API_KEY" is not set/);
  assert.doesNotMatch(err.message, /credentials/);
});

Deno.test("a 401 for a call made with a key still says the credentials were refused", async () => {
  await using api = startLoopbackApi([() => json({ error: { message: "bad key" } }, 401)]);
  const provider = new OpenAICompatibleProvider({
    model: "m",
    baseUrl: api.url,
    env: (n) => n === "OPENAI_API_KEY" ? "sk-wrong-123456" : undefined,
    sleep: noSleep,
  });
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof ProviderAuthError, String(err));
  assert.match(err.message, /refused the credentials with HTTP 401 \(check "OPENAI_API_KEY"\)/);
});

Deno.test("a declared base_url_env that is unset is a one-line UserError, not a fall-back to the default API", async () => {
  let called = 0;
  for (
    const provider of [
      new OpenAICompatibleProvider({
        model: "m",
        baseUrlEnv: "LOCAL_LLM_URL",
        env: () => undefined,
        fetch: () => (called++, Promise.reject(new Error("must not be called"))),
      }),
      new AnthropicProvider({
        baseUrlEnv: "LOCAL_CLAUDE_URL",
        env: (n) => n === "ANTHROPIC_API_KEY" ? "k-123456" : undefined,
        fetch: () => (called++, Promise.reject(new Error("must not be called"))),
      }),
    ]
  ) {
    const err = await provider.complete(request()).then(() => null, (e) => e);
    assert.ok(err instanceof UserError, String(err));
    assert.equal(err.code, "config_invalid");
    assert.match(err.message, /"LOCAL_(LLM|CLAUDE)_URL" \(base_url_env\) is not set/);
    assert.ok(!err.message.includes("\n"));
  }
  assert.equal(called, 0);
});

Deno.test("an undeclared base URL variable still falls back to the provider's default", () => {
  const provider = new OpenAICompatibleProvider({ model: "m", env: () => undefined });
  assert.equal(provider.baseUrl(), "https://api.openai.com/v1");
});

Deno.test("a refusal by zu's egress proxy names the proxy and its reason, not the credentials", async () => {
  await using api = startLoopbackApi([
    () =>
      new Response(null, { status: 403, headers: { "x-zu-egress-refused": "not_allowlisted" } }),
  ]);
  const provider = new OpenAICompatibleProvider({
    model: "m",
    baseUrl: api.url,
    env: (n) => n === "OPENAI_API_KEY" ? "sk-right-123456" : undefined,
    sleep: noSleep,
  });
  const err = await provider.complete(request()).then(() => null, (e) => e);
  assert.ok(err instanceof UserError && err.code === "network_policy", String(err));
  assert.match(err.message, /egress proxy refused "127\.0\.0\.1:\d+" \(not_allowlisted\)/);
  assert.doesNotMatch(err.message, /credentials/);
  assert.equal(api.requests.length, 1, "a refusal is not retried");
});
