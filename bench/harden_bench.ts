/**
 * Harden throughput on the example agent (`fixtures/agents/shop-price`): variants replayed per
 * second in-process (single-threaded, our own baseline measured in this run) and with 1, 2 and N
 * workers, and the wall time of a 1,000-variant matrix (zu's variants plus the whole taxonomy,
 * cycled with distinct seeds). Ratios are printed against our in-process baseline and against
 * zu's ~150 variants/s — a figure taken from the reference doc (issue 4 / replay-anchors: zu
 * replays about 125–170 variants/s on a 2-core VM), not measured here.
 *
 * Usage: `deno run --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/harden_bench.ts [variants=1000]`
 * (no network permission: the whole matrix is offline).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { bundlePath, readBundle } from "../harness/bundle.ts";
import { runVariants } from "../harness/harden.ts";
import { serializeBundle } from "../harness/bundle.ts";
import { WorkerPool } from "../harness/_pool.ts";
import { deriveSeed } from "../harness/perturb/rng.ts";
import { EXTRA_PERTURBATIONS } from "../harness/perturb/registry.ts";
import { perturbationFromSpec, type PlannedVariant, zuVariantSpecs } from "../harness/verdict.ts";

/** zu's harden rate from the reference doc (midpoint of 125–170 variants/s on 2 cores). */
export const ZU_BASELINE_VARIANTS_PER_S = 150;

const AGENT = fileURLToPath(new URL("../fixtures/agents/shop-price", import.meta.url));

function out(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

if (import.meta.main) {
  const total = Number(Deno.args[0] ?? 1000);
  const config = await loadAgentConfig(AGENT);
  const assembled = await assembleRun(config);
  const bundle = await readBundle(bundlePath(config.agentDir));
  const specs = [...zuVariantSpecs(bundle), ...EXTRA_PERTURBATIONS];
  const plan: PlannedVariant[] = Array.from({ length: total }, (_, i) => {
    const spec = specs[i % specs.length]!;
    return { spec, perturbation: perturbationFromSpec(spec), seed: deriveSeed(i, spec) };
  });
  const cpus = navigator.hardwareConcurrency || 2;
  out(`harden bench: ${total} variants of ${specs.length} kinds on shop-price, ${cpus} CPUs`);

  // Warm the in-process path (JIT) on a small slice, then measure it single-threaded.
  await runVariants(assembled, bundle, plan.slice(0, 100), { concurrency: 1 });
  let t0 = performance.now();
  const inproc = await runVariants(assembled, bundle, plan, { concurrency: 1 });
  const inprocMs = performance.now() - t0;
  const baseRate = (total / inprocMs) * 1000;
  const okCount = inproc.filter((v) => v.ok).length;
  out(
    `in-process (1 thread): ${baseRate.toFixed(0)} variants/s, matrix ${
      inprocMs.toFixed(0)
    } ms, ${okCount}/${total} ok`,
  );

  const rows: { label: string; rate: number; wall: number }[] = [
    { label: "in-process, 1 thread (our baseline)", rate: baseRate, wall: inprocMs },
  ];
  const bundleText = serializeBundle(bundle);
  const tasks = plan.map((v) => ({ spec: v.spec, seed: v.seed }));
  for (const workers of [...new Set([1, 2, cpus, 4])]) {
    t0 = performance.now();
    await using pool = await WorkerPool.create(workers, {
      agentPath: config.path,
      mode: "script",
      bundleText,
    });
    const startup = performance.now() - t0;
    const verdicts = await pool.run(tasks);
    const cold = performance.now() - t0;
    const same = verdicts.every((v, i) => v.ok === inproc[i]!.ok && v.passed === inproc[i]!.passed);
    t0 = performance.now();
    await pool.run(tasks);
    const warm = performance.now() - t0;
    const rate = (total / warm) * 1000;
    rows.push({ label: `${workers} worker${workers === 1 ? "" : "s"} (warm)`, rate, wall: cold });
    out(
      `${workers} worker(s): start-up ${startup.toFixed(0)} ms; first matrix ${
        cold.toFixed(0)
      } ms incl. start-up ` +
        `(${((total / cold) * 1000).toFixed(0)} variants/s); warm ${
          rate.toFixed(0)
        } variants/s; verdicts ${same ? "identical to in-process" : "DIFFER from in-process"}`,
    );
  }
  out("");
  out(
    `| mode | variants/s | ${total}-variant matrix (first run, incl. start-up) | vs our in-process | vs zu (~150/s, reference doc) |`,
  );
  out("|---|---|---|---|---|");
  for (const r of rows) {
    out(
      `| ${r.label} | ${r.rate.toFixed(0)} | ${(r.wall / 1000).toFixed(2)} s | ${
        (r.rate / baseRate).toFixed(2)
      }x | ${(r.rate / ZU_BASELINE_VARIANTS_PER_S).toFixed(1)}x |`,
    );
  }
}
