import { equal, ok } from "node:assert/strict";
import { containsBytes, startRecordingUpstream, TEST_CA_PEM } from "./recording_upstream.ts";

Deno.test("the recording upstream keeps raw request bytes over TLS and answers by handler", async () => {
  await using up = await startRecordingUpstream({
    handler: (r) => ({
      status: r.headers.some(([k, v]) => k === "authorization" && v === "Bearer real") ? 200 : 401,
      body: "hi",
    }),
  });
  const client = Deno.createHttpClient({ caCerts: [TEST_CA_PEM] });
  const good = await fetch(`https://localhost:${up.port}/a?q=1`, {
    client,
    method: "POST",
    headers: { authorization: "Bearer real" },
    body: "canary-body",
  });
  equal(good.status, 200);
  equal(await good.text(), "hi");
  const bad = await fetch(`https://localhost:${up.port}/b`, { client });
  equal(bad.status, 401);
  await bad.body?.cancel();
  client.close();
  equal(up.requests.length, 2);
  equal(up.requests[0]!.target, "/a?q=1");
  ok(containsBytes(up.requests[0]!.raw, "canary-body"));
  ok(containsBytes(up.allBytes(), "Bearer real"));
  ok(!containsBytes(up.requests[1]!.raw, "Bearer real"));
});
