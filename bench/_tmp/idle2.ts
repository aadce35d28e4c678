import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { attachExecSession } from "../../backends/docker/exec_session.ts";
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const docker = await backend.client();
const s = await attachExecSession(docker.getContainer(box.id));
for (let k = 0; k < 8; k++) {
  await new Promise((r) => setTimeout(r, k % 2 ? 1500 : 10));
  const times: string[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await s.run({ argv: ["true"] });
    times.push(`${(performance.now() - t).toFixed(1)}/${r.durationMs}`);
  }
  console.log(`idle ${k % 2 ? 1500 : 10}: ${times.join(" ")}`);
}
await s.close();
