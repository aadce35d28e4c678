import assert from "node:assert/strict";
import { LocalEgressProxy } from "./local_egress_proxy.ts";
import { rawRequest } from "./_test_util.ts";

Deno.test("LocalEgressProxy launches the in-process proxy through the EgressProxy port", async () => {
  const lines: Record<string, unknown>[] = [];
  const port = new LocalEgressProxy({ log: (l) => lines.push(l) });
  const handle = await port.launch({ allowlist: ["a.test"], listen: "127.0.0.1:0" });
  try {
    assert.equal(handle.host, "127.0.0.1");
    const reply = await rawRequest(handle.port, "CONNECT b.test:443 HTTP/1.1\r\n\r\n");
    assert.match(reply, /^HTTP\/1\.1 403/);
    assert.equal(handle.connections()[0]!.reason, "not_allowlisted");
    assert.equal(lines[0]!.event, "proxy.ready");
  } finally {
    await handle.close();
  }
});
