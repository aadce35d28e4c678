/**
 * Replaying a plan of variants: in a worker pool (`new Worker(new URL(...), {type: "module"})`,
 * each worker assembling the agent once) or in-process with bounded concurrency; and shrinking a
 * failing composed variant to its smallest failing subset of parts.
 *
 * @module
 */
import type { AssembledRun } from "../agent/config.ts";
import type { ModelProvider } from "../core/types.ts";
import { type Bundle, serializeBundle } from "./bundle.ts";
import { type ModelMode, replayOffline } from "./offline.ts";
import { WorkerPool } from "./_pool.ts";
import { compose } from "./perturb/compose.ts";
import { deriveSeed, makeRng } from "./perturb/rng.ts";
import type { Perturbation } from "./perturb/types.ts";
import { judge, type PlannedVariant, type VariantVerdict } from "./verdict.ts";

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

async function replayVariant(
  assembled: AssembledRun,
  bundle: Bundle,
  p: Perturbation,
  seed: number,
  mode: ModelMode,
  provider: ModelProvider | (() => ModelProvider) | undefined,
  signal: AbortSignal | undefined,
): Promise<VariantVerdict> {
  const t0 = performance.now();
  const variant = p.apply(bundle, makeRng(seed));
  const out = await replayOffline(assembled, variant, {
    mode,
    linkEvents: false,
    ...(provider ? { provider } : {}),
    ...(signal ? { signal } : {}),
  });
  return judge(p, out, seed, performance.now() - t0);
}

/**
 * Variants below which the worker pool is never picked: its start-up (each worker loads the
 * modules and assembles the agent, ~0.3–1 s) costs more than it can win back.
 */
export const POOL_MIN_VARIANTS = 2000;

/**
 * CPUs the pool needs before harden picks it by default. On 2 cores the pool's workers share
 * the cores with the main thread, the other processes and the structured-clone traffic: in
 * bench/harden_bench.ts it ran 0.7–0.9x of in-process under load and 1.4x on an idle machine, so
 * it is not picked there (`workers: 2` opts in). With 4+ cores each worker has a core of its own;
 * that is an assumption, not measured on the 2-core machine the bench ran on.
 */
export const POOL_MIN_CPUS = 4;

/**
 * The worker count harden uses when none is asked for: 0 (in-process) unless the plan has
 * {@link POOL_MIN_VARIANTS}+ variants and the machine {@link POOL_MIN_CPUS}+ CPUs, then one
 * worker per CPU.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "./run_variants.ts";
 * console.assert(defaultWorkers(64, 2) === 0);
 * console.assert(defaultWorkers(5000, 8) === 8);
 * ```
 */
export function defaultWorkers(
  variants: number,
  cpus: number = navigator.hardwareConcurrency || 1,
): number {
  return variants >= POOL_MIN_VARIANTS && cpus >= POOL_MIN_CPUS ? cpus : 0;
}

/** Options of {@link runVariants}. */
export interface RunVariantsOptions {
  /** Model mode. Default `script`. */
  mode?: ModelMode;
  /** Live provider (or a factory called per replay). */
  provider?: ModelProvider | (() => ModelProvider);
  /** Pool size (0 = in-process). Default 0. */
  workers?: number;
  /** In-process concurrency. Default 4. */
  concurrency?: number;
  /** Agent path for workers (required when `workers > 0`). */
  agentPath?: string;
  /** Progress. */
  onDone?: (index: number, v: VariantVerdict) => void;
  /** Called when the worker pool could not start and replay fell back to in-process. */
  onFallback?: (error: unknown) => void;
  /** Cancels. */
  signal?: AbortSignal;
}

/**
 * Replays a plan of variants and returns their verdicts in plan order: in a worker pool when
 * `workers > 0` (falls back to in-process if workers cannot start), else in-process.
 */
export async function runVariants(
  assembled: AssembledRun,
  bundle: Bundle,
  plan: readonly PlannedVariant[],
  options: RunVariantsOptions = {},
): Promise<VariantVerdict[]> {
  const mode = options.mode ?? "script";
  const workers = mode === "live" ? 0 : options.workers ?? 0;
  if (workers > 0 && options.agentPath !== undefined && plan.length > 0) {
    let pool: WorkerPool | null = null;
    try {
      pool = await WorkerPool.create(Math.min(workers, plan.length), {
        agentPath: options.agentPath,
        mode,
        bundleText: serializeBundle(bundle),
        ...(bundle.overlay ? { overlay: bundle.overlay } : {}),
      }, options.signal);
    } catch (e) {
      options.onFallback?.(e);
      pool = null; // fall back to in-process replay below
    }
    if (pool !== null) {
      try {
        return await pool.run(plan.map((v) => ({ spec: v.spec, seed: v.seed })), {
          ...(options.onDone ? { onDone: options.onDone } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } finally {
        await pool.close();
      }
    }
  }
  return await mapLimit(plan, options.concurrency ?? 4, async (v, i) => {
    options.signal?.throwIfAborted();
    const verdict = await replayVariant(
      assembled,
      bundle,
      v.perturbation,
      v.seed,
      mode,
      options.provider,
      options.signal,
    );
    options.onDone?.(i, verdict);
    return verdict;
  });
}

/**
 * The smallest subset of a composed variant's parts that still fails its expectation (fewest
 * parts first, each size in order), within `maxReplays` replays; null when none smaller fails.
 */
export async function shrinkComposed(
  assembled: AssembledRun,
  bundle: Bundle,
  parts: readonly Perturbation[],
  seed: number,
  options: {
    mode?: ModelMode;
    provider?: ModelProvider | (() => ModelProvider);
    maxReplays?: number;
  } = {},
): Promise<{ parts: string[]; replays: number } | null> {
  const max = options.maxReplays ?? 200;
  let replays = 0;
  const n = parts.length;
  for (let size = 1; size < n; size++) {
    const combos: number[][] = [];
    const build = (start: number, acc: number[]) => {
      if (acc.length === size) {
        combos.push([...acc]);
        return;
      }
      for (let i = start; i < n; i++) build(i + 1, [...acc, i]);
    };
    build(0, []);
    for (const combo of combos) {
      if (replays >= max) return null;
      const subset = combo.map((i) => parts[i]!);
      const p = subset.length === 1 ? subset[0]! : compose(subset);
      replays++;
      const v = await replayVariant(
        assembled,
        bundle,
        p,
        deriveSeed(seed, p.name),
        options.mode ?? "script",
        options.provider,
        undefined,
      );
      if (!v.ok) return { parts: subset.map((x) => x.name), replays };
    }
  }
  return null;
}
