import assert from "node:assert/strict";
import type { SandboxSpec } from "../../core/types.ts";
import { poolKey } from "./pool_key.ts";
import { seccompJsonFor } from "./sandbox_floor.ts";

const ctx = { imageId: "sha256:aaa", seccompJson: seccompJsonFor("default"), hostCpus: 2 };
const base: SandboxSpec = { image: "zu-runtime:0.1.0" };

Deno.test("poolKey ignores the run id and the order of object keys", async () => {
  const a = await poolKey({ ...base, env: { A: "1", B: "2" } }, ctx);
  const b = await poolKey({ env: { B: "2", A: "1" }, runId: "other", ...base }, ctx);
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
});

Deno.test("poolKey changes with every hardening field of the spec and its context", async () => {
  const variants: Array<[string, SandboxSpec, typeof ctx]> = [
    ["image reference", { image: "zu-attack:0.1.0" }, ctx],
    ["image id", base, { ...ctx, imageId: "sha256:bbb" }],
    ["network isolated", { ...base, network: "isolated" }, ctx],
    ["network name", { ...base, network: "isolated", networkName: "zu-net-x" }, ctx],
    ["unrestricted", { ...base, network: "unrestricted", allowUnrestrictedEgress: true }, ctx],
    ["allowlist", { ...base, allowlist: ["example.com"] }, ctx],
    ["proxy", { ...base, proxy: "http://10.0.0.1:3128" }, ctx],
    ["env name", { ...base, env: { A: "1" } }, ctx],
    ["env value", { ...base, env: { A: "2" } }, ctx],
    ["cmd", { ...base, cmd: ["sleep", "9"] }, ctx],
    ["extra hosts", { ...base, extraHosts: { "h.test": "10.0.0.2" } }, ctx],
    ["memory", { ...base, memoryBytes: 64 * 1024 * 1024 }, ctx],
    ["pids", { ...base, pidsLimit: 32 }, ctx],
    ["cpus", { ...base, cpus: 0.5 }, ctx],
    ["workdir", { ...base, workdir: "/tmp" }, ctx],
    ["seccomp name", { ...base, seccomp: "block" }, ctx],
    ["seccomp json", base, { ...ctx, seccompJson: seccompJsonFor("block") }],
    ["host cpus", { ...base, cpus: 2 }, { ...ctx, hostCpus: 1 }],
  ];
  const keys = new Map<string, string>([[await poolKey(base, ctx), "base"]]);
  keys.set(await poolKey({ ...base, cpus: 2 }, ctx), "cpus 2 on 2 host cpus");
  for (const [what, spec, c] of variants) {
    const key = await poolKey(spec, c);
    assert.ok(!keys.has(key), `"${what}" gave the same key as "${keys.get(key)}"`);
    keys.set(key, what);
  }
});

Deno.test("poolKey refuses a spec that would loosen the floor", async () => {
  await assert.rejects(
    () => poolKey({ ...base, seccomp: "unconfined" }, ctx),
    (e: Error) => /seccomp|unconfined/i.test(e.message),
  );
});
