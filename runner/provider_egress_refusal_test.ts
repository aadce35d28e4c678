/**
 * A model call the sandbox's egress proxy refuses says so, with the proxy's reason, for a plain
 * `http://` model URL (the proxy's 403 carries `X-Zu-Egress-Refused`) and an `https://` one (a
 * refused CONNECT tunnel). A test file under runner/: it composes agent and backends.
 */
import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { OpenAICompatibleProvider } from "../agent/providers/openai_compatible.ts";
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";

Deno.test("a model call refused by the egress proxy names the proxy's decision, not the credentials", async () => {
  const decisions: Record<string, unknown>[] = [];
  const proxy = await startEgressProxy({
    allowlist: ["allowed.test"],
    resolver: () => Promise.resolve(["93.184.216.34"]),
    log: (line) => {
      if (line.event === "proxy.decision") decisions.push(line);
    },
  });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
  try {
    for (const base of ["http://api.model.test/v1", "https://api.model.test/v1"]) {
      const provider = new OpenAICompatibleProvider({
        model: "m",
        baseUrl: base,
        env: (n) => n === "OPENAI_API_KEY" ? "sk-good-123456" : undefined,
        sleep: () => Promise.resolve(),
        fetch: (input, init) => fetch(input, { ...init, client }),
      });
      const err = await provider.complete({
        messages: [{ role: "user", content: "Hi" }],
        tools: [],
        params: {},
      }).then(() => null, (e) => e);
      assert.ok(err instanceof UserError && err.code === "network_policy", `${base}: ${err}`);
      assert.match(err.message, /the sandbox's egress proxy refused "api\.model\.test:(80|443)"/);
      assert.doesNotMatch(err.message, /credentials/);
      if (base.startsWith("http:")) assert.match(err.message, /\(not_allowlisted\)/);
    }
    assert.ok(decisions.length >= 2);
    assert.ok(decisions.every((d) => d.allowed === false && d.reason === "not_allowlisted"));
  } finally {
    client.close();
    await proxy.close();
  }
});
