/**
 * Warm pool benchmark, every series measured in one run, interleaved:
 *
 * - `cold`: `launch` → first exec done (the baseline);
 * - `warm_exec`: `claim` from a running pool → first exec done (plain `docker exec`);
 * - `paused_exec`: `claim` from a paused pool (unpause) → first exec done;
 * - `warm_session`: `claim` from a pool whose members have their session open → first command
 *   done through that session; `claim_only` is the claim alone (the pool's bookkeeping: the
 *   rename that marks the member claimed); `warm_session_bg` and `claim_only_bg` are the same with
 *   `markClaimed: "background"` (the rename after the claim).
 *
 * The session is the backend's `session(handle)` when it has one (the `zu-session` of issue 14,
 * `--image` must then ship it); otherwise a stand-in of the same transport: one attached exec of
 * `sh` kept open, one command line in, a marker line out. Before each sample every pool is full
 * again, so refills never overlap a measured claim.
 *
 * Prints p50/p95 per series and each ratio against `cold` (goal: claim → ready session ≤ 30 ms p50).
 *
 * Image: `--image`, else the runtime image plus busybox built from this checkout as
 * `zu-runtime:<tag>` and `zu-session-sh:<tag>` (`<tag>` from `ZU_SESSION_IMAGE_TAG`, default
 * `pool-bench`; removed at the end unless `--keep`), whose members get their `zu-session`.
 *
 * Run: `deno run -A bench/pool_bench.ts [--iterations 15] [--image TAG] [--keep] [--json]`
 *
 * @module
 */
import type Dockerode from "dockerode";
import { parseArgs } from "node:util";
import type { ExecSession, SandboxHandle, SessionResult } from "../core/types.ts";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildShellRuntimeImage } from "../backends/docker/session_shell_image.ts";
import { FrameDemuxer } from "../backends/docker/exec_stream.ts";
import { type SessionOpener, WarmPool } from "../backends/docker/warm_pool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "15" },
    image: { type: "string" },
    json: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const IMAGE_TAG = Deno.env.get("ZU_SESSION_IMAGE_TAG") || "pool-bench";
const OWN_TAGS = [`zu-session-sh:${IMAGE_TAG}`, `zu-runtime:${IMAGE_TAG}`];
const ITER = Math.min(100, Math.max(2, Number(values.iterations)));
const RUN = `bench-pool-${crypto.randomUUID().slice(0, 8)}`;

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A stand-in session: `sh` on one attached exec, one command at a time. */
async function shellSession(docker: Dockerode, handle: SandboxHandle): Promise<ExecSession> {
  const exec = await docker.getContainer(handle.id).exec({
    Cmd: ["sh"],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: true });
  let out = "";
  let waiter: (() => void) | null = null;
  const demux = new FrameDemuxer((s, p) => {
    if (s === 1) out += new TextDecoder().decode(p);
    waiter?.();
  });
  stream.on("data", (chunk: Uint8Array) => demux.push(chunk));
  let alive = true;
  const close = () => {
    alive = false;
    stream.destroy();
    return Promise.resolve();
  };
  const fail = () => Promise.reject(new Error("not in the stand-in session"));
  return {
    sandboxId: handle.id,
    get alive() {
      return alive;
    },
    async run(command): Promise<SessionResult> {
      const t = performance.now();
      out = "";
      stream.write(`${command.sh ?? ""}\necho "__done__ $?"\n`);
      for (let i = 0; i < 10_000 && !/__done__ \d+\n/.test(out); i++) {
        await new Promise<void>((r) => waiter = r);
      }
      const code = Number(/__done__ (\d+)/.exec(out)?.[1] ?? -1);
      return {
        exitCode: code,
        signal: null,
        stdout: out.replace(/__done__ \d+\n/, ""),
        stderr: "",
        truncated: false,
        timedOut: false,
        durationMs: performance.now() - t,
      };
    },
    readFile: fail,
    writeFile: fail,
    listDir: fail,
    close,
    [Symbol.asyncDispose]: close,
  };
}

const image = values.image ??
  await buildShellRuntimeImage({ runtimeTag: OWN_TAGS[1]!, tag: OWN_TAGS[0]! });
const backend = new LocalDockerBackend();
const docker = await backend.client();
const backendSession = (backend as unknown as { session?: SessionOpener }).session;
const opener: SessionOpener = typeof backendSession === "function"
  ? (h) => backendSession.call(backend, h)
  : (h) => shellSession(docker, h);
const sessionKind = typeof backendSession === "function" ? "backend.session" : "sh stand-in";
const spec = { image };
const pools = {
  warm: new WarmPool(backend, spec, { size: 2, openSession: null }),
  paused: new WarmPool(backend, spec, { size: 2, openSession: null, pauseIdle: true }),
  session: new WarmPool(backend, spec, { size: 2, openSession: opener }),
  sessionBg: new WarmPool(backend, spec, {
    size: 2,
    openSession: opener,
    markClaimed: "background",
  }),
};
const series: Record<string, number[]> = {
  cold: [],
  warm_exec: [],
  paused_exec: [],
  warm_session: [],
  claim_only: [],
  warm_session_bg: [],
  claim_only_bg: [],
};
const cmd = ["/bin/busybox", "true"];
const started = performance.now();
try {
  for (let i = 0; i < ITER + 1; i++) {
    await Promise.all(Object.values(pools).map((p) => p.start()));
    const samples: Record<string, number> = {};
    let t = performance.now();
    const cold = await backend.launch({ ...spec, runId: RUN });
    await backend.execEntrypoint(cold, cmd);
    samples.cold = performance.now() - t;
    await backend.destroy(cold);

    t = performance.now();
    const w = await pools.warm.claim(RUN);
    await backend.execEntrypoint(w.handle, cmd);
    samples.warm_exec = performance.now() - t;
    await w.release();

    t = performance.now();
    const p = await pools.paused.claim(RUN);
    await backend.execEntrypoint(p.handle, cmd);
    samples.paused_exec = performance.now() - t;
    await p.release();

    t = performance.now();
    const s = await pools.session.claim(RUN);
    samples.claim_only = performance.now() - t;
    const r = await s.session!.run({ argv: cmd });
    samples.warm_session = performance.now() - t;
    if (r.exitCode !== 0) throw new Error(`The session command failed: ${JSON.stringify(r)}`);
    await s.release();

    t = performance.now();
    const b = await pools.sessionBg.claim(RUN);
    samples.claim_only_bg = performance.now() - t;
    const rb = await b.session!.run({ argv: cmd });
    samples.warm_session_bg = performance.now() - t;
    if (rb.exitCode !== 0) throw new Error(`The session command failed: ${JSON.stringify(rb)}`);
    await b.release();
    if (i > 0) { for (const [k, v] of Object.entries(samples)) series[k]!.push(v); }
  }
} finally {
  for (const pool of Object.values(pools)) await pool.close().catch(() => {});
  await backend[Symbol.asyncDispose]();
  await backend.reapLeaked({ runId: RUN });
  if (!values.image && !values.keep) {
    for (const tag of OWN_TAGS) await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
}

const stats = Object.fromEntries(
  Object.entries(series).map(([k, v]) => [k, { n: v.length, p50: pct(v, 50), p95: pct(v, 95) }]),
);
const ratios = Object.fromEntries(
  Object.keys(series).filter((k) => k !== "cold").map((k) => [
    `${k}_vs_cold_p50`,
    stats[k]!.p50 / stats.cold!.p50,
  ]),
);
const total = (performance.now() - started) / 1000;
if (values.json) {
  console.log(JSON.stringify({ image, sessionKind, stats, ratios, seconds: total }, null, 2));
} else {
  console.log(`pool bench (${image}, session: ${sessionKind}, n=${ITER}, ${total.toFixed(1)} s)`);
  for (const [k, s] of Object.entries(stats)) {
    console.log(
      `  ${k.padEnd(13)} p50 ${s.p50.toFixed(1).padStart(7)} ms   p95 ${
        s.p95.toFixed(1).padStart(7)
      } ms`,
    );
  }
  for (const [k, r] of Object.entries(ratios)) console.log(`  ${k.padEnd(26)} ${r.toFixed(3)}x`);
  for (const k of ["warm_session", "warm_session_bg"]) {
    const p50 = stats[k]!.p50;
    console.log(
      `  goal: claim -> ready session <= 30 ms p50 (${k}): ${p50 <= 30 ? "met" : "MISSED"} (${
        p50.toFixed(1)
      } ms)`,
    );
  }
}
