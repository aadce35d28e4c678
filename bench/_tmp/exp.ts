import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { buildShellRuntimeImage } from "../../backends/docker/session_shell_image.ts";
function pct(s: number[], p: number) {
  const a = [...s].sort((x, y) => x - y);
  return a[Math.ceil(p / 100 * a.length) - 1]!.toFixed(2);
}
const image = await buildShellRuntimeImage({
  runtimeTag: "zu-runtime:perf14",
  tag: "zu-session-sh:perf14",
});
await using backend = new LocalDockerBackend();
await using box = await backend.launch({ image, runId: `p14-${crypto.randomUUID().slice(0, 8)}` });
const session = await backend.session(box);
for (let i = 0; i < 20; i++) await session.run({ argv: ["true"] });
const N = Number(Deno.args[0] ?? 200);
const r: Record<string, number[]> = { run: [], inner: [], rtt: [] };
for (let i = 0; i < N; i++) {
  let t = performance.now();
  const x = await session.run({ argv: ["true"] });
  r.run!.push(performance.now() - t);
  r.inner!.push(x.durationMs);
  t = performance.now();
  await session.readFile("/nonexistent").catch(() => {});
  r.rtt!.push(performance.now() - t);
}
for (const [k, v] of Object.entries(r)) console.log(`${k} p50 ${pct(v, 50)} p99 ${pct(v, 99)}`);
