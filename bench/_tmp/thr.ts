import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { attachExecSession } from "../../backends/docker/exec_session.ts";
await using backend = new LocalDockerBackend();
await using box = await backend.launch({
  image: "zu-session-sh:perf14",
  runId: `p14-${crypto.randomUUID().slice(0, 8)}`,
});
const stat = () =>
  Deno.readTextFileSync(`/sys/fs/cgroup/cpu/docker/${box.id}/cpu.stat`).replaceAll("\n", " ");
console.log(
  "quota",
  Deno.readTextFileSync(`/sys/fs/cgroup/cpu/docker/${box.id}/cpu.cfs_quota_us`).trim(),
);
console.log("before attach", stat());
const docker = await backend.client();
const s = await attachExecSession(docker.getContainer(box.id));
console.log("after attach ", stat());
const times: string[] = [];
for (let i = 0; i < 300; i++) {
  const t = performance.now();
  await s.run({ argv: ["true"] });
  times.push((performance.now() - t).toFixed(1));
}
console.log("after 300   ", stat());
console.log(times.slice(0, 10).join(" "));
await s.close();
