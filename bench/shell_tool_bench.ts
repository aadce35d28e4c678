/**
 * The `shell` tool's overhead, measured in one run on this machine: the same command in the same
 * hardened runtime-image sandbox, alternately through `Shell.call` (argument checks, the run's
 * session, the observation) and through a direct per-call `LocalDockerBackend.execEntrypoint`
 * (the baseline). Until the backend has an exec session (`session(handle)`, lane "session") the
 * tool runs on the plain-exec fallback and the ratio is the tool's own overhead (goal ≈ 1.0); once
 * it has one, the ratio is the session's gain over a per-call exec.
 *
 * Run: `deno run --allow-all bench/shell_tool_bench.ts [--iterations 30] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type DockerSandboxHandle,
  LocalDockerBackend,
} from "../backends/docker/local_docker_backend.ts";
import { buildRuntimeImage, RUNTIME_IMAGE } from "../backends/docker/image_build.ts";
import { dockerSocketPath, openDockerClient } from "../backends/docker/docker_client.ts";
import type { RunContext, SandboxHandle, SandboxSpec } from "../core/types.ts";
import { Shell } from "../agent/tools/shell.ts";
import { closeRunWorkspaces } from "../agent/tools/sandbox_exec.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "30" },
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
});
const ITER = values.quick ? 5 : Math.min(200, Math.max(3, Number(values.iterations)));
const RUN = `bench-shell-${crypto.randomUUID().slice(0, 8)}`;
const ARGV = ["deno", "--version"];

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const docker = await openDockerClient(dockerSocketPath());
try {
  await docker.getImage(RUNTIME_IMAGE).inspect();
} catch {
  await buildRuntimeImage();
}
class RecordingBackend extends LocalDockerBackend {
  readonly launched: SandboxHandle[] = [];
  override async launch(spec: SandboxSpec): Promise<DockerSandboxHandle> {
    const h = await super.launch(spec);
    this.launched.push(h);
    return h;
  }
}
await using backend = new RecordingBackend();
const launched = backend.launched;
const shell = new Shell({ backend, image: RUNTIME_IMAGE, timeoutMs: 30_000 });
const ctx = { trace_id: RUN } as unknown as RunContext;
const tool: number[] = [];
const direct: number[] = [];
try {
  const first = await shell.call(ctx, { argv: ARGV }); // launches the run's sandbox
  if (first.exit_code !== 0) throw new Error(`shell failed: ${JSON.stringify(first)}`);
  const handle = launched[0]!;
  const path = typeof (backend as { session?: unknown }).session === "function"
    ? "exec session"
    : "plain exec";
  for (let i = 0; i < ITER; i++) {
    let t = performance.now();
    const obs = await shell.call(ctx, { argv: ARGV });
    tool.push(performance.now() - t);
    if (obs.exit_code !== 0) throw new Error(`shell failed: ${JSON.stringify(obs)}`);
    t = performance.now();
    const r = await backend.execEntrypoint(handle, ARGV, { timeoutMs: 30_000 });
    direct.push(performance.now() - t);
    if (r.exitCode !== 0) throw new Error(`exec failed: ${r.stderr}`);
  }
  const row = {
    iterations: ITER,
    command: ARGV.join(" "),
    tool_path: path,
    shell_p50_ms: pct(tool, 50),
    shell_p99_ms: pct(tool, 99),
    exec_p50_ms: pct(direct, 50),
    exec_p99_ms: pct(direct, 99),
    ratio_p50: pct(tool, 50) / pct(direct, 50),
  };
  if (values.json) console.log(JSON.stringify(row));
  else {
    const f = (n: number) => n.toFixed(1);
    console.log(`shell tool bench: ${ITER} x "${row.command}" in one runtime sandbox`);
    console.log(
      `  shell tool (${path}): p50 ${f(row.shell_p50_ms)} ms  p99 ${f(row.shell_p99_ms)} ms`,
    );
    console.log(
      `  direct execEntrypoint (baseline): p50 ${f(row.exec_p50_ms)} ms  p99 ${
        f(row.exec_p99_ms)
      } ms`,
    );
    console.log(`  ratio shell / baseline (p50): ${row.ratio_p50.toFixed(2)}x`);
  }
} finally {
  await closeRunWorkspaces(RUN);
}
