import { equal, ok } from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import { type EgressHandoff, requestHeadBytes } from "./handoff.ts";

Deno.test("a claimed request skips the allowlist and reaches the hand-off handler; others do not", async () => {
  const seen: string[] = [];
  const handoff: EgressHandoff = {
    claims: (host, _port, kind) => host === "zu-vault" && kind === "http",
    serve: async (client, req) => {
      seen.push(new TextDecoder().decode(requestHeadBytes(req.head)).split("\r\n")[0]!);
      const body = "from-handler";
      await client.write(
        new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ),
      );
      return { up: 0, down: body.length, reason: "vault_forward" };
    },
  };
  const lines: Record<string, unknown>[] = [];
  await using proxy = await startEgressProxy({ allowlist: [], handoff, log: (l) => lines.push(l) });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
  const r = await fetch("http://ZU-VAULT/r/x/v1", { client });
  equal(await r.text(), "from-handler");
  const refused = await fetch("http://other.test/x", { client });
  equal(refused.status, 403);
  await refused.body?.cancel();
  client.close();
  equal(seen.length, 1);
  equal(seen[0], "GET http://zu-vault/r/x/v1 HTTP/1.1");
  const decided = lines.filter((l) => l.event === "proxy.decision");
  ok(decided.some((l) => l.reason === "vault_forward" && l.host === "zu-vault" && l.allowed));
  ok(decided.some((l) => l.reason === "not_allowlisted" && l.host === "other.test"));
});
