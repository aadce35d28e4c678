import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { FrameDemuxer } from "../../backends/docker/exec_stream.ts";
import { SessionClient } from "../../backends/docker/session_client.ts";
import { sessionAgentCommand } from "../../backends/docker/exec_session.ts";
function pct(s: number[], p: number) {
  const a = [...s].sort((x, y) => x - y);
  return a[Math.ceil(p / 100 * a.length) - 1]!.toFixed(3);
}
import { buildShellRuntimeImage } from "../../backends/docker/session_shell_image.ts";
await buildShellRuntimeImage({ runtimeTag: "zu-runtime:perf14", tag: "zu-session-sh:perf14" });
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const session = await backend.session(box);
const docker = await backend.client();
const exec = await docker.getContainer(box.id).exec({
  Cmd: sessionAgentCommand(),
  AttachStdout: true,
  AttachStderr: true,
  AttachStdin: true,
  Tty: false,
  User: "10001",
  Privileged: false,
});
const conn = await Deno.connect({ transport: "unix", path: "/var/run/docker.sock" });
const body = JSON.stringify({ Detach: false, Tty: false });
await conn.write(
  new TextEncoder().encode(
    `POST /exec/${exec.id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ),
);
// read headers
let buf = new Uint8Array(0);
const tmp = new Uint8Array(65536);
let rest: Uint8Array;
for (;;) {
  const n = await conn.read(tmp);
  if (n === null) throw new Error("eof");
  const nb = new Uint8Array(buf.length + n);
  nb.set(buf);
  nb.set(tmp.subarray(0, n), buf.length);
  buf = nb;
  const s = new TextDecoder().decode(buf);
  const i = s.indexOf("\r\n\r\n");
  if (i >= 0) {
    console.log(s.slice(0, s.indexOf("\r\n")));
    rest = buf.slice(i + 4);
    break;
  }
}
const client = new SessionClient("raw", {
  write: (b) => {
    conn.write(b).catch(() => {});
  },
  destroy: () => {
    try {
      conn.closeWrite();
    } catch {}
  },
  listen: (onData, onEnd) => {
    const demux = new FrameDemuxer((s, p) => {
      if (s === 1) onData(p);
    });
    if (rest.length) demux.push(rest);
    (async () => {
      const b = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(b);
        if (n === null) break;
        demux.push(b.subarray(0, n));
      }
    })().catch(() => {}).finally(() => onEnd("end"));
  },
});
await client.ready();
const r: Record<string, number[]> = { dockerodeRtt: [], rawRtt: [], dockerodeRun: [], rawRun: [] };
for (let i = 0; i < 30; i++) {
  await client.run({ argv: ["true"] });
  await session.run({ argv: ["true"] });
}
for (let i = 0; i < 300; i++) {
  let t = performance.now();
  await session.readFile("/nonexistent").catch(() => {});
  r.dockerodeRtt!.push(performance.now() - t);
  t = performance.now();
  await client.readFile("/nonexistent").catch(() => {});
  r.rawRtt!.push(performance.now() - t);
  t = performance.now();
  await session.run({ argv: ["true"] });
  r.dockerodeRun!.push(performance.now() - t);
  t = performance.now();
  await client.run({ argv: ["true"] });
  r.rawRun!.push(performance.now() - t);
}
for (const [k, v] of Object.entries(r)) console.log(`${k} p50 ${pct(v, 50)} p99 ${pct(v, 99)}`);
await client.close();
conn.close();
