import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { readBundle, serializeBundle } from "./bundle.ts";
import { WorkerPool } from "./_pool.ts";
import { deriveSeed } from "./perturb/_rng.ts";
import { EXTRA_PERTURBATIONS } from "./perturb/registry.ts";
import { zuVariantSpecs } from "./verdict.ts";
const cfg = await loadAgentConfig("fixtures/agents/shop-price");
const b = await readBundle("fixtures/agents/shop-price/fixtures/capture.json");
const specs = [...zuVariantSpecs(b), ...EXTRA_PERTURBATIONS];
const tasks = Array.from({ length: 1000 }, (_, i) => { const spec = specs[i % specs.length]!; return { spec, seed: deriveSeed(i, spec) }; });
for (const n of [1, 2]) {
  let t0 = performance.now();
  const pool = await WorkerPool.create(n, { agentPath: cfg.path, mode: "script", bundleText: serializeBundle(b) });
  console.log(n, "startup", (performance.now() - t0).toFixed(0), "ms");
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    await pool.run(tasks);
    const dt = performance.now() - t0;
    console.log(n, "run", r, (1000 / dt * 1000).toFixed(0), "variants/s");
  }
  await pool.close();
}
