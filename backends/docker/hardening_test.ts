import assert from "node:assert/strict";
import { hardenedCreateOptions, type HardeningContext, MAX_MEMORY_BYTES } from "./hardening.ts";
import { ownerLabels } from "./owner.ts";
import { seccompJsonFor } from "./sandbox_floor.ts";

const ctx: HardeningContext = {
  name: "zu-test",
  runId: "run-1",
  seccompJson: seccompJsonFor("block"),
  networkMode: "none",
  ownerPid: 42,
  ownerStart: "777",
  createdAt: 1000,
  hostCpus: 2,
};

Deno.test("hardenedCreateOptions applies the floor to an empty spec", () => {
  const o = hardenedCreateOptions({ image: "zu-runtime:0.1.0" }, ctx);
  const h = o.HostConfig!;
  assert.deepEqual(h.CapDrop, ["ALL"]);
  assert.deepEqual(h.CapAdd, []);
  assert.deepEqual(h.SecurityOpt, ["no-new-privileges", `seccomp=${ctx.seccompJson}`]);
  assert.equal(h.PidsLimit, 256);
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.MemorySwap, h.Memory);
  assert.equal(h.NanoCpus, 1e9);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Tmpfs, { "/tmp": "rw,noexec,nosuid,nodev,size=64m" });
  assert.equal(h.NetworkMode, "none");
  assert.equal(h.Privileged, false);
  assert.equal(o.User, "10001:10001");
  assert.equal(o.NetworkDisabled, true);
  assert.deepEqual(o.Labels, {
    "zu.managed": "1",
    "zu.run": "run-1",
    "zu.pid": "42",
    "zu.pidstart": "777",
    "zu.created": "1000",
    ...ownerLabels(),
  });
});

Deno.test("hardenedCreateOptions never lets a spec loosen pids, memory or CPU", () => {
  const o = hardenedCreateOptions(
    { image: "x", pidsLimit: 100_000, memoryBytes: 64 * 1024 ** 3, cpus: 64 },
    ctx,
  );
  assert.equal(o.HostConfig!.PidsLimit, 256);
  assert.equal(o.HostConfig!.Memory, MAX_MEMORY_BYTES);
  assert.equal(o.HostConfig!.MemorySwap, MAX_MEMORY_BYTES);
  assert.equal(o.HostConfig!.NanoCpus, 2e9);
  const neg = hardenedCreateOptions({ image: "x", pidsLimit: -1, memoryBytes: 0, cpus: -3 }, ctx);
  assert.equal(neg.HostConfig!.PidsLimit, 256);
  assert.equal(neg.HostConfig!.NanoCpus, 1e9);
});

Deno.test("hardenedCreateOptions lets a spec tighten limits", () => {
  const o = hardenedCreateOptions({
    image: "x",
    pidsLimit: 16,
    memoryBytes: 64 * 1024 * 1024,
    cpus: 0.5,
  }, ctx);
  assert.equal(o.HostConfig!.PidsLimit, 16);
  assert.equal(o.HostConfig!.Memory, 64 * 1024 * 1024);
  assert.equal(o.HostConfig!.NanoCpus, 5e8);
});

Deno.test("hardenedCreateOptions sets the proxy variables and the /etc/hosts pins", () => {
  const o = hardenedCreateOptions(
    {
      image: "x",
      proxy: "http://proxy:8080",
      env: { A: "1" },
      extraHosts: { proxy: "172.20.0.2" },
    },
    { ...ctx, networkMode: "zu-net-1" },
  );
  assert.ok(o.Env!.includes("A=1"));
  assert.ok(o.Env!.includes("HTTPS_PROXY=http://proxy:8080"));
  assert.ok(o.Env!.includes("http_proxy=http://proxy:8080"));
  assert.ok(o.Env!.includes("NO_PROXY=localhost,127.0.0.1"));
  assert.deepEqual(o.HostConfig!.ExtraHosts, ["proxy:172.20.0.2"]);
  assert.equal(o.NetworkDisabled, false);
});

Deno.test("hardenedCreateOptions refuses malformed environment names and host pins", () => {
  assert.throws(() => hardenedCreateOptions({ image: "x", env: { "A=B": "1" } }, ctx), TypeError);
  assert.throws(
    () => hardenedCreateOptions({ image: "x", extraHosts: { "a b": "1.2.3.4" } }, ctx),
    TypeError,
  );
});
