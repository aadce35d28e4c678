/**
 * Workspace snapshots on the Docker backend, side by side in one run on this machine:
 *
 * - cold launch → first exec of a hardened sandbox without a workspace (the baseline);
 * - the same with a workspace (what the volume costs);
 * - `snapshotWorkspace` of a 4 MiB workspace (random bytes plus 64 small files), into a temp store;
 * - `restore` of that snapshot → first exec (a new sandbox with the workspace put back).
 *
 * Prints p50/p95 per series and each ratio against the cold launch measured in the same run
 * (platform-design.md §3.4: workspace snapshot ≤ 170 ms, restore ≈ a cold start). Bounded: about
 * 20–40 s at the default 8 rounds.
 *
 * Run: `deno run --allow-all bench/workspace_bench.ts [--rounds 8] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildAttackImage } from "../backends/docker/image_build.ts";
import { SnapshotStore } from "../backends/docker/snapshot_store.ts";
import type { SandboxSpec } from "../core/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "8" }, json: { type: "boolean", default: false } },
});
const ROUNDS = Math.min(30, Math.max(2, Number(values.rounds)));
const RUN = `bench-ws-${crypto.randomUUID().slice(0, 8)}`;

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

const { tag: image } = await buildAttackImage();
const dir = await Deno.makeTempDir({ prefix: "zu_ws_bench_" });
const backend = new LocalDockerBackend({ snapshotStore: new SnapshotStore(dir) });
const plain: SandboxSpec = { image, runId: RUN };
const withWs: SandboxSpec = { ...plain, workspace: true };
const series: Record<string, number[]> = { cold: [], coldWorkspace: [], snapshot: [], restore: [] };
let bytes = 0;
try {
  const source = await backend.launch(withWs);
  const fill = await backend.execEntrypoint(source, [
    "sh",
    "-c",
    "head -c 4194304 /dev/urandom > /workspace/blob && mkdir /workspace/src && " +
    "for i in $(seq 1 64); do echo file $i > /workspace/src/f$i.txt; done",
  ]);
  if (fill.exitCode !== 0) throw new Error(`cannot fill the workspace: ${fill.stderr}`);
  // One warm-up of each path, not counted.
  const warm = await backend.snapshotWorkspace(source);
  await backend.destroy(await backend.restore(warm.id, withWs));
  await backend.destroy(await backend.launch(plain));
  for (let i = 0; i < ROUNDS; i++) {
    const [cold, box] = await time(async () => {
      const b = await backend.launch(plain);
      await backend.execEntrypoint(b, ["true"]);
      return b;
    });
    series.cold!.push(cold);
    await backend.destroy(box);
    const [coldWs, wbox] = await time(async () => {
      const b = await backend.launch(withWs);
      await backend.execEntrypoint(b, ["true"]);
      return b;
    });
    series.coldWorkspace!.push(coldWs);
    await backend.destroy(wbox);
    const [snapMs, snap] = await time(() => backend.snapshotWorkspace(source));
    series.snapshot!.push(snapMs);
    bytes = snap.sizeBytes;
    const [restoreMs, restored] = await time(async () => {
      const b = await backend.restore(snap.id, withWs);
      await backend.execEntrypoint(b, ["true"]);
      return b;
    });
    series.restore!.push(restoreMs);
    await backend.destroy(restored);
    await backend.snapshotStore().remove(snap.id);
  }
} finally {
  await backend[Symbol.asyncDispose]();
  await backend.reapLeaked({ runId: RUN }).catch(() => {});
  await Deno.remove(dir, { recursive: true });
}

const base = pct(series.cold!, 50);
const rows = Object.entries(series).map(([name, s]) => ({
  name,
  p50: pct(s, 50),
  p95: pct(s, 95),
  ratioToCold: pct(s, 50) / base,
}));
if (values.json) {
  console.log(JSON.stringify({ rounds: ROUNDS, snapshotBytes: bytes, rows }, null, 2));
} else {
  console.log(`workspace bench: ${ROUNDS} rounds, snapshot of ${(bytes / 1048576).toFixed(2)} MiB`);
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(14)} p50 ${r.p50.toFixed(1).padStart(7)} ms  p95 ${
        r.p95.toFixed(1).padStart(7)
      } ms  ${r.ratioToCold.toFixed(2)}x cold launch`,
    );
  }
}
