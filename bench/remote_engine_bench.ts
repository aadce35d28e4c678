/**
 * What a remote engine over TLS costs: the same sandbox work on the main daemon over its unix
 * socket (the baseline) and on a second dockerd over mutual TLS on 127.0.0.1
 * (`testing/second_dockerd.ts`), in the same run. Measured: `execEntrypoint` with stdin (create
 * exec, hijacked attach, inspect) and launch + destroy. The sides take turns; each figure is the
 * median of its samples. Loopback TLS has no network latency: this is the protocol's cost, not a
 * WAN's.
 *
 * Run: `deno run -A bench/remote_engine_bench.ts [--iterations 30] [--launches 5]` (root,
 * dockerd, openssl; `zu-attack:0.1.0` on the main daemon).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { ATTACK_IMAGE } from "../backends/docker/image_build.ts";
import type { DockerEndpoint } from "../backends/docker/docker_endpoint.ts";
import { secondDockerdMissing, startSecondDockerd } from "../testing/second_dockerd.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "30" },
    launches: { type: "string", default: "5" },
  },
});
const iterations = Number(values.iterations);
const launches = Number(values.launches);

const missing = secondDockerdMissing();
if (missing) {
  console.log(`remote_engine_bench skipped: ${missing}`);
  Deno.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function sample(
  endpoint: DockerEndpoint,
  execs: number[],
  starts: number[],
  n: number,
  l: number,
) {
  await using backend = new LocalDockerBackend({ endpoint });
  const runId = `bench-remote-${crypto.randomUUID().slice(0, 8)}`;
  {
    await using box = await backend.launch({ image: ATTACK_IMAGE, runId });
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await backend.execEntrypoint(box, ["cat"], { stdin: "x", timeoutMs: 20_000 });
      execs.push(performance.now() - t);
      if (r.stdout !== "x") throw new Error(`bad exec output ${JSON.stringify(r)}`);
    }
  }
  for (let i = 0; i < l; i++) {
    const t = performance.now();
    const box = await backend.launch({ image: ATTACK_IMAGE, runId });
    await backend.destroy(box);
    starts.push(performance.now() - t);
  }
}

const d = await startSecondDockerd({ images: [ATTACK_IMAGE] });
try {
  const local: DockerEndpoint = { kind: "unix", socketPath: "/var/run/docker.sock" };
  const le: number[] = [], ll: number[] = [], re: number[] = [], rl: number[] = [];
  const turns = 3;
  for (let turn = 0; turn < turns; turn++) {
    const n = Math.max(1, Math.round(iterations / turns));
    const l = Math.max(1, Math.round(launches / turns));
    await sample(local, le, ll, n, l);
    await sample(d.endpoint, re, rl, n, l);
  }
  const row = (what: string, base: number[], tls: number[]) =>
    console.log(
      `${what}: unix socket ${median(base).toFixed(1)} ms, TLS on loopback ${
        median(tls).toFixed(1)
      } ms, ratio ${(median(tls) / median(base)).toFixed(2)}x (n=${base.length}/${tls.length})`,
    );
  console.log(`load average ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  row("exec with stdin", le, re);
  row("launch + destroy", ll, rl);
} finally {
  await d.stop();
}
