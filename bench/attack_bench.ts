/**
 * The 1,000-variant attack matrix: how fast the taxonomy's attacks replay offline under the
 * oracle attacker, against the matrix harden played before issue 18 (zu's original seven
 * adversarial kinds under the hijacked model), measured in the same run on the same agent
 * (`fixtures/agents/shop-price`) through `runVariants`, the path `zu harden` takes. The new matrix
 * cycles every kind of the `attacks` set plus every `enc-*` composed with a hidden carrier; the
 * previous one cycles the seven. Turns alternate (previous, new, previous, new, ...); each rate is
 * the median of its turns.
 *
 * ```sh
 * deno run -A bench/attack_bench.ts [--variants=1000] [--quick]
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { bundlePath, readBundle } from "../harness/bundle.ts";
import { runVariants } from "../harness/run_variants.ts";
import type { ModelMode } from "../harness/offline.ts";
import { deriveSeed } from "../harness/perturb/rng.ts";
import { ATTACK_PERTURBATIONS } from "../harness/perturb/registry.ts";
import { ENCODINGS } from "../harness/perturb/encodings.ts";
import { perturbationFromSpec, type PlannedVariant } from "../harness/verdict.ts";

const AGENT = fileURLToPath(new URL("../fixtures/agents/shop-price", import.meta.url));
const PREVIOUS = [
  "inject-visible-text",
  "inject-html-comment",
  "inject-attribute",
  "inject-error-message",
  "exfil-link",
  "fake-boundary-markers",
  "poisoned-tool-description",
];

function out(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function planOf(specs: readonly string[], total: number): PlannedVariant[] {
  return Array.from({ length: total }, (_, i) => {
    const spec = specs[i % specs.length]!;
    return { spec, perturbation: perturbationFromSpec(spec), seed: deriveSeed(i, spec) };
  });
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const arg = Deno.args.find((a) => a.startsWith("--variants="));
  const total = Number(arg?.slice("--variants=".length) ?? (quick ? 200 : 1000));
  const config = await loadAgentConfig(AGENT);
  const assembled = await assembleRun(config);
  const bundle = await readBundle(bundlePath(config.agentDir));
  const specs = [
    ...ATTACK_PERTURBATIONS,
    ...ENCODINGS.map((e) => `inject-css-hidden+enc-${e}`),
  ];
  const plans: [string, ModelMode, PlannedVariant[]][] = [
    [`previous (zu's 7 kinds, hijacked)`, "hijacked", planOf(PREVIOUS, total)],
    [`new (${specs.length} kinds, oracle)`, "oracle", planOf(specs, total)],
  ];
  out(
    `attack bench: ${total} variants per matrix on shop-price, load ${
      Deno.loadavg()[0]!.toFixed(2)
    }`,
  );
  for (const [, mode, plan] of plans) {
    await runVariants(assembled, bundle, plan.slice(0, 100), { mode });
  }
  const rates: number[][] = [[], []];
  for (let t = 0; t < (quick ? 1 : 3); t++) {
    for (const [i, [name, mode, plan]] of plans.entries()) {
      const t0 = performance.now();
      const vs = await runVariants(assembled, bundle, plan, { mode });
      const ms = performance.now() - t0;
      rates[i]!.push((total / ms) * 1000);
      const won = vs.filter((v) => v.attack?.succeeded).length;
      out(
        `  ${name}: ${(ms / 1000).toFixed(2)} s, ${
          ((total / ms) * 1000).toFixed(0)
        } variants/s, ${won} attacks succeeded`,
      );
    }
  }
  const [prev, next] = rates.map(median) as [number, number];
  out(`previous matrix: ${prev.toFixed(0)} variants/s; new matrix: ${next.toFixed(0)} variants/s`);
  out(
    `ratio (new / previous, same run): ${(next / prev).toFixed(2)}x; ${total} new variants in ${
      (total / next).toFixed(2)
    } s`,
  );
}
