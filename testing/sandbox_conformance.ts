/**
 * The one conformance suite of the {@link SandboxBackend} port: every backend (the local Docker
 * one, a remote engine, a custom module) runs it. It registers Deno tests, one sandbox per group
 * of checks:
 *
 * 1. **lifecycle**: `provision` → `waitReady` (a reach that execs; no network, no ports) →
 *    `execEntrypoint` (exit codes, stdout and stderr apart, stdin, env) → `exec` answers an
 *    observation object → `meterActual` (null, or a `metered` cost whose figures add up) → a
 *    command past its timeout says `timedOut` → `teardown` reports the sandbox removed and
 *    nothing failed → a second `teardown` removes nothing, `destroy` is idempotent, and an exec
 *    is refused; `leftovers` (when given) finds nothing of the run.
 * 2. **floor**, as seen from inside: the uid, a read-only root, no capabilities, no-new-privs,
 *    seccomp on, no network interface but `lo`.
 * 3. **snapshots** (only when `supportsSnapshots()`): a file written in `/workspace` comes back in
 *    a NEW sandbox restored from the snapshot.
 * 4. **estimate**: `estimateCost(spec, 60)` is null or an `estimate` whose figures are the limits
 *    × 60 s.
 *
 * `make` is the only thing that picks the daemon, the price table and the snapshot store: the
 * suite never opens a client of its own. The sandboxes run `options.image` (default
 * `zu-attack:0.1.0`, which has a busybox `sh`).
 *
 * @example
 * ```ts ignore
 * import { runSandboxBackendConformance } from "./sandbox_conformance.ts";
 * import { LocalDockerBackend } from "../backends/docker/mod.ts";
 * runSandboxBackendConformance("LocalDockerBackend", () => Promise.resolve(new LocalDockerBackend()));
 * ```
 * @module
 */
import assert from "node:assert/strict";
import type { SandboxBackend, SandboxCost, SandboxHandle } from "../core/types.ts";
import { missingSandboxMethods, sandboxLifecycle } from "../core/sandbox_lifecycle.ts";

/** Options of {@linkcode runSandboxBackendConformance}. */
export interface SandboxConformanceOptions {
  /** The image the sandboxes run; needs `sh`, `id`, `cat`, `ls`, `touch`, `sleep`. Default `zu-attack:0.1.0`. */
  image?: string;
  /** The uid the floor runs as, as `id -u` prints it. Default `10001`. */
  uid?: string;
  /**
   * What of the run `runId` is still on the engine (container, volume, network names), asked
   * after teardown; must come back empty. Default: not asked.
   */
  leftovers?: (backend: SandboxBackend, runId: string) => Promise<string[]>;
  /** Registers one test (e.g. `dockerTest`). Default `Deno.test` with the resource sanitizers off. */
  register?: (name: string, fn: () => Promise<void>) => void;
  /** The exec timeout the timeout check uses, in ms. Default 1500. */
  timeoutMs?: number;
}

function disposeOf(backend: SandboxBackend): Promise<void> {
  const d = (backend as Partial<AsyncDisposable>)[Symbol.asyncDispose];
  return typeof d === "function" ? Promise.resolve(d.call(backend)) : Promise.resolve();
}

function checkCost(cost: SandboxCost | null, kind: "estimate" | "metered"): void {
  if (cost === null) return;
  assert.equal(cost.kind, kind);
  assert.equal(cost.currency, "USD");
  for (const k of ["usd", "vcpuSeconds", "gibSeconds", "wallSeconds", "cpuLimit"] as const) {
    assert.ok(Number.isFinite(cost[k]) && cost[k] >= 0, `${kind} ${k} = ${cost[k]}`);
  }
  assert.equal(cost.launches, 1);
  assert.ok(cost.memoryLimitBytes > 0, `${kind} memoryLimitBytes = ${cost.memoryLimitBytes}`);
}

/**
 * Registers the sandbox conformance tests for one backend under `name`. `make` gives a fresh
 * backend per group; the suite disposes it at the end of the group.
 */
export function runSandboxBackendConformance(
  name: string,
  make: () => Promise<SandboxBackend>,
  options: SandboxConformanceOptions = {},
): void {
  const image = options.image ?? "zu-attack:0.1.0";
  const register = options.register ??
    ((title: string, fn: () => Promise<void>) =>
      Deno.test({ name: title, fn, sanitizeResources: false, sanitizeOps: false }));
  const runId = (group: string) => `conf-${group}-${crypto.randomUUID().slice(0, 8)}`;
  const withBackend = async (fn: (b: SandboxBackend) => Promise<void>) => {
    const backend = await make();
    assert.deepEqual(missingSandboxMethods(backend), [], "the backend lacks port methods");
    try {
      await fn(backend);
    } finally {
      await disposeOf(backend);
    }
  };
  const t = (title: string, fn: (b: SandboxBackend) => Promise<void>) =>
    register(`${name} conformance: ${title}`, () => withBackend(fn));

  t("provision, waitReady, exec, meter, timeout, teardown report, nothing left", async (b) => {
    const life = sandboxLifecycle(b);
    const run = runId("life");
    const box = await life.provision({ image, runId: run, env: { FROM_SPEC: "s" } });
    let tornDown = false;
    try {
      assert.equal(box.runId, run);
      const reach = await life.waitReady(box);
      assert.equal(reach.exec, true);
      assert.deepEqual(reach.networks, [], "network none: on no network");
      assert.deepEqual(reach.ports, [], "no published port");
      const r = await b.execEntrypoint(box, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
      assert.equal(r.exitCode, 3);
      assert.equal(r.stdout, "out\n");
      assert.equal(r.stderr, "err\n");
      assert.equal(r.timedOut, false);
      const io = await b.execEntrypoint(box, ["sh", "-c", 'cat; echo "$FROM_SPEC$FROM_EXEC"'], {
        stdin: "in:",
        env: { FROM_EXEC: "e" },
      });
      assert.equal(io.stdout, "in:se\n");
      assert.equal(io.exitCode, 0);
      const obs = await b.exec(box, { name: "noop", args: {} });
      assert.equal(typeof obs, "object");
      assert.ok(obs !== null && !Array.isArray(obs));
      checkCost(b.meterActual ? await b.meterActual(box) : null, "metered");
      const slow = await b.execEntrypoint(box, ["sleep", "30"], {
        timeoutMs: options.timeoutMs ?? 1500,
      });
      assert.equal(slow.timedOut, true, "a command past its timeout says so");
      assert.ok(slow.durationMs < 20_000, `the timeout took ${slow.durationMs} ms`);
      const report = await life.teardown(box);
      tornDown = true;
      assert.equal(report.sandbox, box.id);
      assert.ok(report.containers.includes(box.id), `removed: ${report.containers.join()}`);
      assert.deepEqual(report.failed, []);
      const again = await life.teardown(box);
      assert.deepEqual([again.containers, again.volumes, again.networks, again.failed], [
        [],
        [],
        [],
        [],
      ]);
      await b.destroy(box);
      await b.destroy(box);
      await assert.rejects(b.execEntrypoint(box, ["true"]));
      if (options.leftovers) assert.deepEqual(await options.leftovers(b, run), []);
    } finally {
      if (!tornDown) await b.destroy(box).catch(() => {});
    }
  });

  t("the floor as seen from inside", async (b) => {
    const box = await b.launch({ image, runId: runId("floor") });
    try {
      const sh = async (cmd: string) => await b.execEntrypoint(box, ["sh", "-c", cmd]);
      assert.equal((await sh("id -u")).stdout.trim(), options.uid ?? "10001");
      const write = await sh("touch /zu-conformance-root 2>&1; echo $?");
      assert.notEqual(write.stdout.trim().split("\n").at(-1), "0", "the root is writable");
      const status = (await sh("cat /proc/self/status")).stdout;
      const field = (k: string) => status.match(new RegExp(`^${k}:\\s*(\\S+)`, "m"))?.[1];
      assert.equal(field("CapEff"), "0000000000000000");
      assert.equal(field("CapPrm"), "0000000000000000");
      assert.equal(field("CapBnd"), "0000000000000000");
      assert.equal(field("NoNewPrivs"), "1");
      assert.equal(field("Seccomp"), "2");
      assert.equal((await sh("ls /sys/class/net")).stdout.trim(), "lo");
    } finally {
      await b.destroy(box);
    }
  });

  t("snapshot and restore a workspace (when supported)", async (b) => {
    if (!sandboxLifecycle(b).supportsSnapshots()) return;
    assert.equal(typeof b.snapshot, "function", "supportsSnapshots() without snapshot()");
    assert.equal(typeof b.restore, "function", "supportsSnapshots() without restore()");
    const spec = { image, runId: runId("snap"), workspace: true };
    const boxes: SandboxHandle[] = [];
    try {
      const src = await b.launch(spec);
      boxes.push(src);
      const w = await b.execEntrypoint(src, [
        "sh",
        "-c",
        "echo kept > /workspace/f; cat /workspace/f",
      ]);
      assert.equal(w.stdout, "kept\n");
      const snap = await b.snapshot!(src);
      assert.ok(typeof snap === "string" && snap.length > 0);
      const copy = await b.restore!(snap, spec);
      boxes.push(copy);
      assert.notEqual(copy.id, src.id, "restore starts a NEW sandbox");
      assert.equal((await b.execEntrypoint(copy, ["cat", "/workspace/f"])).stdout, "kept\n");
    } finally {
      for (const box of boxes) await b.destroy(box).catch(() => {});
    }
  });

  t("estimateCost is null or the limits × the duration", async (b) => {
    if (!b.estimateCost) return;
    const cost = await b.estimateCost({ image, cpus: 0.5, memoryBytes: 256 * 1024 * 1024 }, 60);
    checkCost(cost, "estimate");
    if (cost) {
      assert.equal(cost.wallSeconds, 60);
      assert.ok(Math.abs(cost.vcpuSeconds - cost.cpuLimit * 60) < 1e-9);
      assert.ok(Math.abs(cost.gibSeconds - (cost.memoryLimitBytes / 2 ** 30) * 60) < 1e-9);
    }
  });
}
