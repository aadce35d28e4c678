import { equal, ok } from "node:assert/strict";
import { serveHandoffSocket } from "./handoff_socket.ts";
import type { EgressHandoff } from "./handoff.ts";

async function exchange(path: string, text: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(new TextEncoder().encode(text));
  const chunks: string[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(new TextDecoder().decode(buf.subarray(0, n)));
  }
  conn.close();
  return chunks.join("");
}

Deno.test("the hand-off socket gives claimed CONNECTs to the handler and refuses the rest", async () => {
  const dir = await Deno.makeTempDir();
  const served: string[] = [];
  const handoff: EgressHandoff = {
    claims: (host, port, kind) => host === "api.test" && port === 443 && kind === "connect",
    serve: async (client, req) => {
      served.push(`${req.head.method} ${req.host}:${req.port} rest=${req.rest.length}`);
      await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      return { up: 0, down: 0, reason: "intercepted" };
    },
  };
  const lines: Record<string, unknown>[] = [];
  try {
    await using _gate = serveHandoffSocket({
      path: `${dir}/intercept.sock`,
      handoff,
      log: (l) => lines.push(l),
    });
    const ok200 = await exchange(
      `${dir}/intercept.sock`,
      "CONNECT API.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\nhello",
    );
    ok(ok200.startsWith("HTTP/1.1 200"));
    const refused = await exchange(
      `${dir}/intercept.sock`,
      "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n",
    );
    ok(refused.startsWith("HTTP/1.1 403"));
    ok(refused.includes("X-Zu-Egress-Refused: not_bound"));
    const bad = await exchange(`${dir}/intercept.sock`, "garbage\r\n\r\n");
    ok(bad.startsWith("HTTP/1.1 400"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  equal(served.length, 1);
  equal(served[0], "CONNECT api.test:443 rest=5");
  ok(lines.some((l) => l.reason === "intercepted" && l.host === "api.test"));
  ok(lines.some((l) => l.reason === "not_bound" && l.host === "evil.test" && l.allowed === false));
});
