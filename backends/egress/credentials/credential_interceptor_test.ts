import { equal, ok } from "node:assert/strict";
import { containsBytes } from "../../../testing/recording_upstream.ts";
import { startRig } from "./_test_rig.ts";
import { canary } from "./_test_tls.ts";

const AUTH = (s: string) => `Authorization: Bearer {{secret:${s}}}`;

Deno.test("inject: the bound host gets the real header once, the client's Authorization is overwritten", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("inject");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://api.test:${rig.up.port}/repos/x?q=1`, {
    client: rig.client,
    headers: { authorization: "Bearer sandbox-token", "x-other": "1" },
  });
  equal(r.status, 200);
  equal(await r.text(), "ok");
  equal(rig.up.requests.length, 1);
  const auths = rig.up.requests[0]!.headers.filter(([k]) => k === "authorization");
  equal(auths.length, 1);
  equal(auths[0]![1], `Bearer ${value}`);
  ok(!containsBytes(rig.up.allBytes(), "sandbox-token"));
  equal(rig.uses.length, 1);
  const use = rig.uses[0]!;
  equal(use.outcome, "injected");
  equal(use.path, "/repos/x");
  equal(use.status, 200);
  equal(use.method, "GET");
  ok(!rig.records().includes(value));
});
