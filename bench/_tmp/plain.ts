import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { startSandboxExec } from "../../backends/docker/sandbox_exec_start.ts";
function pct(s: number[], p: number) {
  const a = [...s].sort((x, y) => x - y);
  return a[Math.ceil(p / 100 * a.length) - 1]!.toFixed(2);
}
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const docker = await backend.client();
const c = docker.getContainer(box.id);
const r: Record<string, number[]> = { create: [], start: [], end: [], inspect: [], total: [] };
let retries = 0;
for (let i = 0; i < 40; i++) {
  const t0 = performance.now();
  const exec = await c.exec({
    Cmd: ["true"],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: "10001",
  });
  const t1 = performance.now();
  const stream = await exec.start({ hijack: true, stdin: false }) as any;
  const t2 = performance.now();
  await new Promise<void>((res) => {
    stream.on("end", res);
    stream.on("close", res);
    stream.resume();
  });
  const t3 = performance.now();
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running) break;
    retries++;
  }
  const t4 = performance.now();
  r.create!.push(t1 - t0);
  r.start!.push(t2 - t1);
  r.end!.push(t3 - t2);
  r.inspect!.push(t4 - t3);
  r.total!.push(t4 - t0);
}
for (const [k, v] of Object.entries(r)) console.log(`${k} p50 ${pct(v, 50)} p99 ${pct(v, 99)}`);
console.log("inspect retries", retries);
