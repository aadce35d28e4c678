import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { attachExecSession, sessionAgentCommand } from "../../backends/docker/exec_session.ts";
import { buildShellRuntimeImage } from "../../backends/docker/session_shell_image.ts";
await buildShellRuntimeImage({ runtimeTag: "zu-runtime:perf14", tag: "zu-session-sh:perf14" });
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const docker = await backend.client();
for (let k = 0; k < 3; k++) {
  let t = performance.now();
  const s = await attachExecSession(docker.getContainer(box.id));
  const att = performance.now() - t;
  const times: string[] = [];
  for (let i = 0; i < 4; i++) {
    t = performance.now();
    const r = await s.run({ argv: ["true"] });
    times.push(`${(performance.now() - t).toFixed(1)}(${r.durationMs})`);
  }
  console.log(`attach ${att.toFixed(1)} runs ${times.join(" ")}`);
  await s.close();
}
