// attachExecConn against the real daemon: an attached `cat` echoes what it is written, the writes
// queued before close() reach it (close waits for them), and a refused start is one clear error.
import assert from "node:assert/strict";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { dockerSocketPath } from "./docker_client.ts";
import { attachExecConn } from "./exec_attach_conn.ts";
import { FrameDemuxer } from "./exec_stream.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { createSandboxExec } from "./sandbox_exec_start.ts";

Deno.test("attachExecConn refuses an exec id that is not hex before connecting", async () => {
  await assert.rejects(attachExecConn("/nonexistent.sock", "../containers/x"), TypeError);
});

attackTest("attachExecConn: stdin in, output out, queued writes flushed by close()", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({
    image: await attackImage(),
    runId: testRunId("execconn"),
  });
  const docker = await backend.client();
  const exec = await createSandboxExec(docker.getContainer(box.id), ["cat"], { stdin: true });
  const conn = await attachExecConn(dockerSocketPath(), exec.id);
  let out = "";
  const demux = new FrameDemuxer((s, p) => {
    if (s === 1) out += new TextDecoder().decode(p);
  });
  const parts = Array.from({ length: 50 }, (_, i) => `line-${i}\n`);
  for (const part of parts) conn.write(new TextEncoder().encode(part));
  conn.close(); // not awaited: the queued writes still go first, then stdin ends
  for await (const chunk of conn.chunks()) demux.push(chunk);
  assert.equal(out, parts.join(""));
  const info = await exec.inspect();
  assert.equal(info.ExitCode, 0);
});

attackTest("attachExecConn: a start the daemon refuses is an error naming its answer", async () => {
  await assert.rejects(
    attachExecConn(dockerSocketPath(), "0123456789abcdef".repeat(4)),
    /the daemon answered "HTTP\/1\.1 404/,
  );
});
