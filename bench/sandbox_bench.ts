/**
 * Side-by-side benchmark of the Docker sandbox backend, measured in one run on this machine:
 *
 * - exec into a running hardened sandbox: `LocalDockerBackend.execEntrypoint` vs raw dockerode
 *   exec (create + attached start + inspect) vs the `docker exec` CLI;
 * - launch-to-ready: `LocalDockerBackend.launch` vs raw dockerode create + start of the same
 *   hardened container.
 *
 * Prints p50/p95 per series and the ratios ours / raw (targets: ≤ 1.1). Bounded: about 30–60 s.
 *
 * Run: `deno run --allow-all bench/sandbox_bench.ts [--iterations 50] [--launches 15] [--json]`
 *
 * @module
 */
import type Dockerode from "dockerode";
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildAttackImage } from "../backends/docker/image_build.ts";
import { hardenedCreateOptions } from "../backends/docker/hardening.ts";
import { loadSeccompProfile } from "../seccomp/profile_loader.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "50" },
    launches: { type: "string", default: "15" },
    json: { type: "boolean", default: false },
  },
});
const ITER = Math.min(200, Math.max(3, Number(values.iterations)));
const LAUNCHES = Math.min(50, Math.max(2, Number(values.launches)));
const RUN = `bench-${crypto.randomUUID().slice(0, 8)}`;

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function rawExec(docker: Dockerode, id: string, cmd: string[]): Promise<number> {
  const exec = await docker.getContainer(id).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.on("data", () => {});
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  return (await exec.inspect()).ExitCode ?? -1;
}

async function cliExec(id: string, cmd: string[]): Promise<number> {
  const out = await new Deno.Command("docker", {
    args: ["exec", id, ...cmd],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}

const { tag: image } = await buildAttackImage();
const backend = new LocalDockerBackend();
const docker = await backend.client();
const seccompJson = (await loadSeccompProfile("default")).json;
const cmd = ["/bin/busybox", "true"];
const series: Record<string, number[]> = {
  ours_exec: [],
  raw_exec: [],
  cli_exec: [],
  ours_launch: [],
  raw_launch: [],
};
const rawIds: string[] = [];
const started = performance.now();
try {
  const box = await backend.launch({ image, runId: RUN });
  for (let i = 0; i < 3; i++) {
    await backend.execEntrypoint(box, cmd);
    await rawExec(docker, box.id, cmd);
    await cliExec(box.id, cmd);
  }
  for (let i = 0; i < ITER; i++) {
    // Interleaved so drift and noise hit every series alike.
    series.ours_exec!.push(await time(() => backend.execEntrypoint(box, cmd)));
    series.raw_exec!.push(await time(() => rawExec(docker, box.id, cmd)));
    series.cli_exec!.push(await time(() => cliExec(box.id, cmd)));
  }
  await backend.destroy(box);

  for (let i = 0; i < LAUNCHES + 1; i++) {
    const ours = await time(async () => {
      const h = await backend.launch({ image, runId: RUN });
      rawIds.push(h.id);
    });
    const opts = hardenedCreateOptions({ image }, {
      name: `zu-${RUN}-raw-${i}`,
      runId: RUN,
      seccompJson,
      networkMode: "none",
      ownerPid: Deno.pid,
      ownerStart: "",
      createdAt: Date.now(),
      hostCpus: navigator.hardwareConcurrency || 1,
    });
    const raw = await time(async () => {
      const c = await docker.createContainer(opts);
      rawIds.push(c.id);
      await c.start();
    });
    if (i > 0) {
      series.ours_launch!.push(ours);
      series.raw_launch!.push(raw);
    }
    for (const id of rawIds.splice(0)) {
      await docker.getContainer(id).remove({ force: true }).catch(() => {});
    }
  }
} finally {
  for (const id of rawIds) await docker.getContainer(id).remove({ force: true }).catch(() => {});
  await backend[Symbol.asyncDispose]();
  await backend.reapLeaked({ runId: RUN });
}

const stats = Object.fromEntries(
  Object.entries(series).map(([k, v]) => [k, { n: v.length, p50: pct(v, 50), p95: pct(v, 95) }]),
);
const ratio = (a: string, b: string, p: "p50" | "p95") => stats[a]![p] / stats[b]![p];
const ratios = {
  exec_ours_vs_raw_p50: ratio("ours_exec", "raw_exec", "p50"),
  exec_ours_vs_raw_p95: ratio("ours_exec", "raw_exec", "p95"),
  exec_ours_vs_cli_p50: ratio("ours_exec", "cli_exec", "p50"),
  exec_ours_vs_cli_p95: ratio("ours_exec", "cli_exec", "p95"),
  launch_ours_vs_raw_p50: ratio("ours_launch", "raw_launch", "p50"),
  launch_ours_vs_raw_p95: ratio("ours_launch", "raw_launch", "p95"),
};
const total = (performance.now() - started) / 1000;
if (values.json) {
  console.log(JSON.stringify({ stats, ratios, seconds: total }, null, 2));
} else {
  console.log(
    `sandbox bench (${image}, exec n=${ITER}, launch n=${LAUNCHES}, ${total.toFixed(1)} s)`,
  );
  for (const [k, s] of Object.entries(stats)) {
    console.log(
      `  ${k.padEnd(12)} p50 ${s.p50.toFixed(1).padStart(7)} ms   p95 ${
        s.p95.toFixed(1).padStart(7)
      } ms`,
    );
  }
  for (const [k, r] of Object.entries(ratios)) console.log(`  ${k.padEnd(24)} ${r.toFixed(2)}x`);
  console.log(
    `  targets: exec <= 1.1x raw dockerode (${
      ratios.exec_ours_vs_raw_p50 <= 1.1 ? "met" : "MISSED"
    }), ` +
      `launch <= 1.1x raw create+start (${
        ratios.launch_ours_vs_raw_p50 <= 1.1 ? "met" : "MISSED"
      }) at p50`,
  );
}
