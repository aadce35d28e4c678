/**
 * What `DOCKER_HOST=ssh://` costs: the same sandbox work on the main daemon over its unix socket
 * (the baseline) and through a throwaway sshd on 127.0.0.1 (`testing/test_sshd.ts`) whose logins
 * run `docker system dial-stdio` against the same daemon, in the same run. Measured: a cold
 * ping (a new client: one SSH login), `execEntrypoint` with stdin on a kept-alive connection, and
 * launch + destroy. The sides take turns; each figure is the median of its samples. Loopback has
 * no network latency: this is SSH's and dial-stdio's own cost, not a WAN's.
 *
 * Run: `deno run -A bench/ssh_engine_bench.ts [--iterations 30] [--launches 5]` (root, sshd,
 * the docker CLI; `zu-attack:0.1.0` on the main daemon).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { ATTACK_IMAGE } from "../backends/docker/image_build.ts";
import type { DockerEndpoint } from "../backends/docker/docker_endpoint.ts";
import {
  openDockerEndpoint,
  releaseIdleConnections,
} from "../backends/docker/open_docker_endpoint.ts";
import { startTestSshd, testSshdMissing } from "../testing/test_sshd.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "30" },
    launches: { type: "string", default: "5" },
  },
});
const iterations = Number(values.iterations);
const launches = Number(values.launches);

const missing = testSshdMissing();
if (missing) {
  console.log(`ssh_engine_bench skipped: ${missing}`);
  Deno.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Samples {
  cold: number[];
  exec: number[];
  launch: number[];
}

async function sample(endpoint: DockerEndpoint, s: Samples, n: number, l: number) {
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const docker = await openDockerEndpoint(endpoint);
    await docker.ping();
    s.cold.push(performance.now() - t);
    releaseIdleConnections(docker);
  }
  await using backend = new LocalDockerBackend({ endpoint });
  const runId = `bench-ssh-${crypto.randomUUID().slice(0, 8)}`;
  {
    await using box = await backend.launch({ image: ATTACK_IMAGE, runId });
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await backend.execEntrypoint(box, ["cat"], { stdin: "x", timeoutMs: 20_000 });
      s.exec.push(performance.now() - t);
      if (r.stdout !== "x") throw new Error(`bad exec output ${JSON.stringify(r)}`);
    }
  }
  for (let i = 0; i < l; i++) {
    const t = performance.now();
    const box = await backend.launch({ image: ATTACK_IMAGE, runId });
    await backend.destroy(box);
    s.launch.push(performance.now() - t);
  }
}

const sshd = await startTestSshd();
try {
  const local: DockerEndpoint = { kind: "unix", socketPath: "/var/run/docker.sock" };
  const base: Samples = { cold: [], exec: [], launch: [] };
  const ssh: Samples = { cold: [], exec: [], launch: [] };
  const turns = 3;
  for (let turn = 0; turn < turns; turn++) {
    const n = Math.max(1, Math.round(iterations / turns));
    const l = Math.max(1, Math.round(launches / turns));
    await sample(local, base, n, l);
    await sample(sshd.endpoint, ssh, n, l);
  }
  const row = (what: string, b: number[], s: number[]) =>
    console.log(
      `${what}: unix socket ${median(b).toFixed(1)} ms, ssh on loopback ${
        median(s).toFixed(1)
      } ms, ratio ${(median(s) / median(b)).toFixed(2)}x (n=${b.length}/${s.length})`,
    );
  console.log(`load average ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  row("cold ping (new client)", base.cold, ssh.cold);
  row("exec with stdin", base.exec, ssh.exec);
  row("launch + destroy", base.launch, ssh.launch);
} finally {
  await sshd.stop();
}
