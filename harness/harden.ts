/**
 * `harden(agentDir, options)`: zu's static audit plus every variant of the capture bundle replayed
 * offline (in parallel workers), judged against its expectation and scored: resilience and
 * grounding load-bearing (zu's), failure detection and attack success rate, each as n/N with a
 * 95% Wilson interval; the smallest failing subset of a failing composed variant; and one verdict
 * ({@link hardenVerdict}): exit code 1 when the baseline fails (no variant is then run) or when any
 * variant misses its expectation beyond the benign misses `minScore` tolerates.
 *
 * @example
 * ```ts ignore
 * import { harden } from "./harden.ts";
 * const report = await harden("fixtures/agents/shop-price", { perturb: "all", reportDir: "out" });
 * console.log(report.resilience, report.exit_code);
 * ```
 * @module
 */
import { basename } from "node:path";
import { type AgentConfig, assembleRun, loadAgentConfig } from "../agent/config.ts";
import type { ModelProvider } from "../core/types.ts";
import type { Status } from "../core/contracts.ts";
import { auditBundle, type Finding } from "./audit.ts";
import { type Bundle, bundlePath, contentHash, type EnvLike, readBundle } from "./bundle.ts";
import { type ModelMode, replayOffline } from "./offline.ts";
import { isComposed } from "./perturb/compose.ts";
import { deriveSeed } from "./perturb/rng.ts";
import { type Rate, rate } from "./stats.ts";
import { defaultWorkers, runVariants, shrinkComposed } from "./run_variants.ts";
import { planVariants, type VariantVerdict } from "./verdict.ts";
import { hardenSpecs, type PerturbChoice } from "./harden_specs.ts";
import { type HardenVerdict, hardenVerdict } from "./harden_verdict.ts";
import { modeLabel } from "./harden_mode.ts";
import { type AttackMetrics, attackMetrics } from "./attack_metrics.ts";
import { type DefenceName, withoutDefences } from "./defences.ts";
import type { DefenceMatrix } from "./defence_matrix.ts";

export type { VariantVerdict } from "./verdict.ts";
export { runVariants, shrinkComposed } from "./run_variants.ts";
export type { RunVariantsOptions } from "./run_variants.ts";
export type { Finding } from "./audit.ts";
export type { HardenVerdict, VariantMiss } from "./harden_verdict.ts";

/** Options of {@link harden}. */
export interface HardenOptions {
  /**
   * The variants to play, exactly: `"none"` (default: zu's own set), `"all"` (zu's set then every
   * extra perturbation, what `zu harden` and `hardenSuite` play) or a list of specs (`a+b`
   * composes; `all`, `zu` and a bare `drop-value` expand). See `hardenSpecs`.
   */
  perturb?: PerturbChoice;
  /** `script` (default), `hijacked`, `oracle` or `live` (needs `provider`). */
  mode?: ModelMode;
  /** The real model for `live` mode, or a factory called once per replay (for stateful models). */
  provider?: ModelProvider | (() => ModelProvider);
  /** Base seed of every variant's random stream. Default 0. */
  seed?: number;
  /** Worker pool size; 0 replays in-process. Default: `defaultWorkers` (in-process unless the pool wins). */
  workers?: number;
  /** In-process concurrency (when not using workers). Default 4. */
  concurrency?: number;
  /**
   * The lowest resilience (share of variants that must pass and did); benign misses are tolerated
   * while resilience stays at or above it. Every other miss fails regardless. Default 1.0 (zu's).
   */
  minScore?: number;
  /** The bundle's path, printed in repro commands (`--bundle`) when it is not the default one. */
  bundlePath?: string;
  /** The bundle to use instead of `<agentDir>/fixtures/capture.json`. */
  bundle?: Bundle;
  /** Environment for bundle keys (`ZU_FIXTURE_KEY`). Default: none (plain bundles only). */
  env?: EnvLike;
  /** Write JSON, JUnit, Markdown and HTML reports into this directory. Default: none. */
  reportDir?: string;
  /** Progress callback: variants done so far, of how many. */
  onProgress?: (done: number, total: number) => void;
  /** Replays allowed for shrinking one composed variant. Default 200. */
  maxShrinkReplays?: number;
  /** Cancels the work. */
  signal?: AbortSignal;
  /** Defences switched off for the whole run (the same seeded variants). Default none. */
  defencesOff?: readonly DefenceName[];
  /**
   * Also replay the attacked variants and look-alikes once per defence the agent has, with that
   * defence off, and report which defence stopped each family. Default false.
   */
  defenceMatrix?: boolean;
}

/** One line of zu's text report. */
export interface ReportLine {
  /** `stdout` or `stderr`. */
  stream: "stdout" | "stderr";
  /** The text. */
  text: string;
}

/** The harden report (JSON form written as is). */
export interface HardenReport {
  /** Report format version. */
  schema_version: 1;
  /** Agent name (directory basename). */
  agent: string;
  /** The agent directory. */
  agent_dir: string;
  /** The bundle's content hash. */
  bundle_hash: string;
  /** Model mode. */
  mode: ModelMode;
  /** The bundle's path when it is not `<agent_dir>/fixtures/capture.json` (for repro commands). */
  bundle_path?: string;
  /** Base seed. */
  seed: number;
  /** Static findings (zu's). */
  findings: Finding[];
  /** The unperturbed replay. */
  baseline: {
    status: Status;
    reason: string | null;
    value: unknown;
    unused: number;
    event_types: string[];
  };
  /** Every variant, in plan order. */
  variants: VariantVerdict[];
  /** zu: passed benign variants / benign variants (1.0 when none). */
  resilience: number;
  /** zu: every value-deletion variant failed. */
  grounding_load_bearing: boolean;
  /** The rates, each n/N with a 95% Wilson interval. */
  rates: {
    /** Benign variants absorbed. */
    resilience: Rate;
    /** Value-deletion variants that failed. */
    grounding: Rate;
    /** Fault variants (transport, stale) that failed as they must. */
    failure_detection: Rate;
    /** Adversarial variants whose attack was executed or reported (lower is better). */
    attack_success: Rate;
    /** Adversarial variants whose run still succeeded (utility under attack). */
    utility_under_attack: Rate;
    /** Variants whose outcome met the expectation. */
    ok: Rate;
  };
  /** The gate. */
  min_score: number;
  /** The verdict every output renders ({@link hardenVerdict}). */
  verdict: HardenVerdict;
  /** `verdict.exit_code`: 1 when the baseline failed or a variant missed beyond the tolerance. */
  exit_code: 0 | 1;
  /** zu's text report, line by line. */
  lines: ReportLine[];
  /** Replay statistics. */
  timing: {
    variants: number; /** Workers actually used (0 = in-process). */
    workers: number;
    wall_ms: number;
    variants_per_s: number;
  };
  /** Report files written, when `reportDir` was given. */
  written?: string[];
  /** The field's attack metrics, when any variant planted an attack or is a look-alike. */
  attacks?: AttackMetrics;
  /** Defences switched off for this run, and the defence matrix when asked for. */
  defences?: { off: DefenceName[]; matrix?: DefenceMatrix };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/**
 * zu's text report lines for a finished report (zu's exact lines when zu and the verdict agree);
 * the last line states the verdict.
 */
export function reportLines(
  r: Pick<
    HardenReport,
    | "agent"
    | "findings"
    | "variants"
    | "resilience"
    | "grounding_load_bearing"
    | "min_score"
    | "mode"
    | "baseline"
  >,
  verdict: HardenVerdict = hardenVerdict(r),
): ReportLine[] {
  const out: ReportLine[] = [];
  const say = (text: string, stream: "stdout" | "stderr" = "stdout") => out.push({ stream, text });
  say(`zu harden: ${r.agent} (${modeLabel(r.mode)})`);
  if (r.findings.length > 0) {
    say(`brittle: ${r.findings.length} single point(s) of failure`);
    for (const f of r.findings) say(`  · [${f.kind}] ${f.where}: ${f.detail}`);
  }
  if (verdict.baseline_failed !== null) {
    say(
      `harden: baseline failed: ${verdict.baseline_failed} — the unperturbed capture does not replay to success, so no variant was run; fix the agent or re-capture (zu capture) first`,
      "stderr",
    );
    return out;
  }
  for (const v of r.variants) {
    const outcome = v.expect === "blocked"
      ? (v.blocked ? "blocked" : "attack succeeded")
      : (v.passed ? "passed" : "failed");
    const expected = v.expect === "blocked" ? "blocked" : v.expect_pass ? "pass" : "fail";
    say(`  ${v.ok ? "ok" : "!!"} ${v.name}: ${outcome} (expected ${expected})`);
  }
  say(`resilience: ${pct(r.resilience)} of cosmetic perturbations absorbed`);
  if (!r.grounding_load_bearing) {
    say(
      "warning: a value-deletion variant still passed — grounding is NOT gating this path; the score is unreliable.",
      "stderr",
    );
  }
  if (r.resilience < r.min_score) {
    say(`harden: resilience ${pct(r.resilience)} below --min-score ${pct(r.min_score)}`, "stderr");
  } else if (!verdict.passed) {
    say(
      `harden: ${verdict.misses.length} variant(s) missed their expectation — not safe to promote`,
      "stderr",
    );
  } else {
    say("harden: resilient enough to promote.");
  }
  return out;
}

function cpuCount(): number {
  try {
    return Math.max(1, navigator.hardwareConcurrency || 1);
  } catch {
    return 1;
  }
}

/**
 * Hardens the agent in `agentDir` against its capture bundle. Config and bundle problems are
 * `UserError`s (CLI exit 2); the report's `exit_code` is its verdict's: 1 when the baseline failed
 * (no variant is run) or a variant missed its expectation beyond what `minScore` tolerates.
 */
export async function harden(agentDir: string, options: HardenOptions = {}): Promise<HardenReport> {
  const started = performance.now();
  const mode = options.mode ?? "script";
  const seed = options.seed ?? 0;
  const minScore = options.minScore ?? 1.0;
  const config: AgentConfig = await loadAgentConfig(agentDir);
  const bundle = options.bundle ??
    await readBundle(bundlePath(config.agentDir), options.env ? { env: options.env } : {});
  const findings = auditBundle(bundle);
  const off = [...(options.defencesOff ?? [])];
  const assembled = withoutDefences(await assembleRun(config), off);
  const baselineOut = await replayOffline(assembled, bundle, {
    mode,
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const baselineOk = baselineOut.result.status === "success";
  // A failed baseline stops here: every variant would fail for the same reason.
  const specs = baselineOk ? hardenSpecs(bundle, options.perturb) : [];
  const plan = planVariants(specs, (name) => deriveSeed(seed, name));
  // Workers assemble the agent themselves: a run with defences off replays in-process.
  const workers = off.length > 0 ? 0 : options.workers ?? defaultWorkers(plan.length, cpuCount());
  let done = 0;
  let usedWorkers = workers;
  const variants = await runVariants(assembled, bundle, plan, {
    mode,
    workers,
    concurrency: options.concurrency ?? 4,
    agentPath: config.path,
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onDone: () => options.onProgress?.(++done, plan.length),
    onFallback: () => {
      usedWorkers = 0;
    },
  });
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i]!.perturbation;
    const v = variants[i]!;
    if (!v.ok && isComposed(p) && p.parts.length > 1) {
      const shrunk = await shrinkComposed(assembled, bundle, p.parts, seed, {
        mode,
        ...(options.provider ? { provider: options.provider } : {}),
        maxReplays: options.maxShrinkReplays ?? 200,
      });
      if (shrunk) v.shrunk = shrunk;
    }
  }
  const benign = variants.filter((v) => v.expect_pass);
  const drops = variants.filter((v) => v.kind === "control");
  const faults = variants.filter((v) => v.expect === "fail" && v.kind !== "control");
  const attacks = variants.filter((v) => v.expect === "blocked");
  const rates = {
    resilience: rate(benign.filter((v) => v.passed).length, benign.length),
    grounding: rate(drops.filter((v) => !v.passed).length, drops.length),
    failure_detection: rate(faults.filter((v) => !v.passed).length, faults.length),
    attack_success: rate(attacks.filter((v) => !v.blocked).length, attacks.length, 0),
    utility_under_attack: rate(attacks.filter((v) => v.passed).length, attacks.length),
    ok: rate(variants.filter((v) => v.ok).length, variants.length),
  };
  const resilience = rates.resilience.value;
  const groundingLoadBearing = drops.every((v) => !v.passed);
  const agent = basename(config.agentDir);
  const wall = performance.now() - started;
  const report: HardenReport = {
    schema_version: 1,
    agent,
    agent_dir: config.agentDir,
    bundle_hash: contentHash(bundle),
    mode,
    ...(options.bundlePath !== undefined ? { bundle_path: options.bundlePath } : {}),
    seed,
    findings,
    baseline: {
      status: baselineOut.result.status,
      reason: baselineOut.result.reason,
      value: baselineOut.result.value,
      unused: baselineOut.unused.length,
      event_types: baselineOut.events.map((e) => e.type),
    },
    variants,
    resilience,
    grounding_load_bearing: groundingLoadBearing,
    rates,
    min_score: minScore,
    verdict: hardenVerdict({
      baseline: baselineOut.result,
      variants,
      resilience,
      min_score: minScore,
    }),
    exit_code: 0,
    lines: [],
    timing: {
      variants: variants.length,
      workers: usedWorkers,
      wall_ms: Math.round(wall),
      variants_per_s: wall > 0 ? Math.round((variants.length / wall) * 1000 * 10) / 10 : 0,
    },
  };
  if (variants.some((v) => v.attack || v.name.includes("lookalike-"))) {
    report.attacks = attackMetrics(variants);
  }
  if (off.length > 0 || options.defenceMatrix) {
    report.defences = { off };
    if (options.defenceMatrix && report.attacks) {
      const { defenceMatrix } = await import("./defence_matrix.ts");
      report.defences.matrix = await defenceMatrix(assembled, bundle, plan, variants, {
        mode,
        concurrency: options.concurrency ?? 4,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
  }
  report.exit_code = report.verdict.exit_code;
  report.lines = reportLines(report, report.verdict);
  if (options.reportDir !== undefined) {
    const { writeReports } = await import("./report/mod.ts");
    report.written = await writeReports(report, options.reportDir);
  }
  return report;
}
