import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { WarmPool } from "../../backends/docker/warm_pool.ts";
const backend = new LocalDockerBackend();
const pool = new WarmPool(backend, { image: "zu-session-sh:perf14" }, {
  size: 2,
  markClaimed: "background",
});
try {
  for (let k = 0; k < 6; k++) {
    await pool.start();
    await new Promise((r) => setTimeout(r, 1000));
    const t = performance.now();
    const c = await pool.claim(`p14-claim-${k}`);
    const times = [(performance.now() - t).toFixed(1)];
    for (let i = 0; i < 8; i++) {
      const t1 = performance.now();
      await c.session!.run({ argv: ["true"] });
      times.push((performance.now() - t1).toFixed(1));
    }
    console.log(`claim ${times[0]} runs ${times.slice(1).join(" ")}`);
    await c.release();
  }
} finally {
  await pool.close();
  await backend[Symbol.asyncDispose]();
}
