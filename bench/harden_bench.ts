/**
 * Harden throughput against the Python zu, like for like, measured in one run: the same agent
 * (`harness/testdata/agents/bookshop-clean`, which zu can load without optional packages), zu's
 * own variants (banner prefix, promo suffix, one value drop per grounded value), each side
 * loaded once. Our side replays a plan of those variants cycled with distinct seeds through
 * `runVariants` (the path `zu harden` takes: in-process, harden's default concurrency, and the
 * worker pool); zu's side runs its own `harden()` in a loop (`bench/zu_harden_rate.py`). The two
 * sides take turns (ours, zu, ours, zu, ours) so load on the machine hits both; each rate is the
 * median of its turns.
 *
 * Usage:
 *
 * ```sh
 * deno run -A bench/harden_bench.ts --zu=/path/to/k3-mt/zu [--python=python3] [--variants=3000]
 * ```
 *
 * `--zu` (or `ZU_PY_REPO`) is a checkout of github:k3-mt/zu at 330cedb; `--python` (or
 * `ZU_PYTHON`) an interpreter with zu's dependencies (pydantic, pyyaml, httpx). Without `--zu`
 * only our rates are printed, and no ratio. `--quick` runs a small smoke test.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { bundlePath, readBundle, serializeBundle } from "../harness/bundle.ts";
import { defaultWorkers, runVariants } from "../harness/run_variants.ts";
import { WorkerPool } from "../harness/_pool.ts";
import { deriveSeed } from "../harness/perturb/rng.ts";
import { perturbationFromSpec, type PlannedVariant, zuVariantSpecs } from "../harness/verdict.ts";

const AGENT = fileURLToPath(
  new URL("../harness/testdata/agents/bookshop-clean", import.meta.url),
);
const ZU_SCRIPT = fileURLToPath(new URL("./zu_harden_rate.py", import.meta.url));

function out(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

function flag(name: string): string | undefined {
  const a = Deno.args.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface ZuRate {
  rate: number;
  variants: number;
  per_round: number;
  ok: number;
}

async function zuRate(python: string, repo: string, seconds: number): Promise<ZuRate> {
  const r = await new Deno.Command(python, {
    args: [ZU_SCRIPT, repo, AGENT, String(seconds)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1) ?? "";
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").at(-1);
    throw new Error(`Cannot measure the Python zu: ${err}`);
  }
  return JSON.parse(text) as ZuRate;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const total = Number(flag("variants") ?? (quick ? 300 : 3000));
  const repo = flag("zu") ?? Deno.env.get("ZU_PY_REPO");
  const python = flag("python") ?? Deno.env.get("ZU_PYTHON") ?? "python3";
  const config = await loadAgentConfig(AGENT);
  const assembled = await assembleRun(config);
  const bundle = await readBundle(bundlePath(config.agentDir));
  const specs = zuVariantSpecs(bundle);
  const plan: PlannedVariant[] = Array.from({ length: total }, (_, i) => {
    const spec = specs[i % specs.length]!;
    return { spec, perturbation: perturbationFromSpec(spec), seed: deriveSeed(i, spec) };
  });
  const cpus = navigator.hardwareConcurrency || 2;
  out(
    `harden bench: ${total} variants (zu's ${specs.length}: ${
      specs.join(", ")
    }) on bookshop-clean, ` +
      `${cpus} CPUs, load ${Deno.loadavg()[0]!.toFixed(2)}`,
  );

  await runVariants(assembled, bundle, plan.slice(0, Math.min(300, total))); // warm the JIT
  const ours = async (concurrency?: number) => {
    const t0 = performance.now();
    const v = await runVariants(assembled, bundle, plan, {
      ...(concurrency ? { concurrency } : {}),
    });
    const ms = performance.now() - t0;
    return { rate: (total / ms) * 1000, ok: v.filter((x) => x.ok).length };
  };
  const seconds = quick ? 1 : 3;
  const oursRates: number[] = [];
  const zuRates: number[] = [];
  let zuInfo: ZuRate | null = null;
  const turns = quick ? 1 : 3;
  for (let t = 0; t < turns; t++) {
    const o = await ours();
    oursRates.push(o.rate);
    out(
      `  ours (in-process, harden's default concurrency): ${
        o.rate.toFixed(0)
      } variants/s, ${o.ok}/${total} ok`,
    );
    if (repo !== undefined && t < turns - (turns > 1 ? 1 : 0)) {
      zuInfo = await zuRate(python, repo, seconds);
      zuRates.push(zuInfo.rate);
      out(
        `  zu (Python, harden()): ${
          zuInfo.rate.toFixed(1)
        } variants/s, ${zuInfo.ok}/${zuInfo.per_round} as expected`,
      );
    }
  }
  const one = await ours(1);
  out(`  ours (in-process, one at a time): ${one.rate.toFixed(0)} variants/s`);

  const bundleText = serializeBundle(bundle);
  const tasks = plan.map((v) => ({ spec: v.spec, seed: v.seed }));
  const poolRows: string[] = [];
  for (const workers of [...new Set([2, cpus])]) {
    const t0 = performance.now();
    await using pool = await WorkerPool.create(workers, {
      agentPath: config.path,
      mode: "script",
      bundleText,
    });
    const startup = performance.now() - t0;
    await pool.run(tasks.slice(0, Math.min(300, total)));
    const t1 = performance.now();
    await pool.run(tasks);
    const rate = (total / (performance.now() - t1)) * 1000;
    poolRows.push(
      `| pool, ${workers} workers (warm; start-up ${startup.toFixed(0)} ms) | ${
        rate.toFixed(0)
      } | ${(rate / median(oursRates)).toFixed(2)}x |`,
    );
  }

  const oursMedian = median(oursRates);
  out("");
  out("| ours | variants/s | vs ours in-process |");
  out("|---|---|---|");
  out(`| in-process (harden's default) | ${oursMedian.toFixed(0)} | 1.00x |`);
  out(
    `| in-process, one at a time | ${one.rate.toFixed(0)} | ${
      (one.rate / oursMedian).toFixed(2)
    }x |`,
  );
  for (const r of poolRows) out(r);
  out(`harden picks ${defaultWorkers(total)} worker(s) for ${total} variants on this machine`);
  out("");
  if (zuRates.length > 0) {
    const zu = median(zuRates);
    out(`Python zu: ${zu.toFixed(1)} variants/s (median of ${zuRates.length})`);
    out(`ours in-process: ${oursMedian.toFixed(0)} variants/s (median of ${oursRates.length})`);
    out(`ratio (ours / Python zu, same run): ${(oursMedian / zu).toFixed(1)}x (target >= 10x)`);
  } else {
    out("Python zu not measured (pass --zu=<checkout of k3-mt/zu> to measure it): no ratio");
  }
}
