import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { attachExecSession } from "../../backends/docker/exec_session.ts";
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const docker = await backend.client();
const s = await attachExecSession(docker.getContainer(box.id));
for (const idle of [0, 0, 1000, 0, 2000, 0, 3000, 0, 3000]) {
  await new Promise((r) => setTimeout(r, idle));
  const t = performance.now();
  const r = await s.run({ argv: ["true"] });
  const t2 = performance.now();
  await s.listDir("/tmp");
  console.log(
    `idle ${idle} run ${(t2 - t).toFixed(1)} (agent ${r.durationMs}) list ${
      (performance.now() - t2).toFixed(1)
    }`,
  );
}
await s.close();
