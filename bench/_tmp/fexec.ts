import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { FrameDemuxer } from "../../backends/docker/exec_stream.ts";
function pct(s: number[], p: number) {
  const a = [...s].sort((x, y) => x - y);
  return a[Math.ceil(p / 100 * a.length) - 1]!.toFixed(2);
}
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const client = Deno.createHttpClient({
  proxy: { transport: "unix", path: "/var/run/docker.sock" },
});
const api = "http://docker/v1.41";
async function fexec(): Promise<number> {
  const c = await fetch(`${api}/containers/${box.id}/exec`, {
    client,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      Cmd: ["true"],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: "10001",
      Privileged: false,
    }),
  });
  const { Id } = await c.json();
  const s = await fetch(`${api}/exec/${Id}/start`, {
    client,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Detach: false, Tty: false }),
  });
  const demux = new FrameDemuxer(() => {});
  for await (const chunk of s.body!) demux.push(chunk);
  const i = await fetch(`${api}/exec/${Id}/json`, { client });
  return (await i.json()).ExitCode;
}
const r: Record<string, number[]> = { fetch: [], dockerode: [] };
for (let i = 0; i < 30; i++) {
  let t = performance.now();
  const code = await fexec();
  r.fetch!.push(performance.now() - t);
  if (code !== 0) throw new Error("code " + code);
  t = performance.now();
  await backend.execEntrypoint(box, ["true"], { plainExec: true });
  r.dockerode!.push(performance.now() - t);
}
for (const [k, v] of Object.entries(r)) console.log(`${k} p50 ${pct(v, 50)} p99 ${pct(v, 99)}`);
