/**
 * `deno test` integration: `hardenSuite(agentDir, options)` registers one `Deno.test` that
 * hardens the agent with the same variants as `zu harden` (zu's set plus every extra perturbation,
 * unless `perturb` says otherwise) and reports one `t.step` per variant, then the verdict, so a
 * user's fixture suite is plain `deno test` and shows up in `--junit-path` output.
 *
 * A failing step's message names the variant, what happened, why it matters, what to change and
 * the repro command, and its stack points at the file that called `hardenSuite` (your test file),
 * not at zu. A failed baseline fails the `baseline` step and no variant step is run.
 *
 * Permissions: `deno test --allow-read=<agent dir>` (the agent and its bundle; add the directory
 * of a `bundle` you pass by path, and `--allow-write=<dir>` for `reportDir`). With 32 or more
 * variants harden replays in module workers, which inherit the test's permissions; `workers: 0`
 * keeps it in-process. Network: none, unless `mode: "live"` (the provider's host). An agent whose
 * plugins read files or environment variables at load needs those grants too.
 *
 * @example
 * ```ts ignore
 * // agent_harden_test.ts — run with: deno test --allow-read=fixtures agent_harden_test.ts
 * import { hardenSuite } from "@zu/zu/harness";
 * hardenSuite("fixtures/agents/shop-price");
 * ```
 * @module
 */
import { AssertionError } from "node:assert";
import { basename } from "node:path";
import { harden, type HardenOptions, type HardenReport } from "./harden.ts";
import { DEFAULT_PERTURB } from "./harden_specs.ts";
import { hardenVerdict, type VariantMiss } from "./harden_verdict.ts";
import { reproCommand } from "./report/repro.ts";

/** Options of {@link hardenSuite}: harden's, plus the test's name and permissions. */
export interface HardenSuiteOptions extends HardenOptions {
  /** Test name. Default `harden <agent directory name>`. */
  name?: string;
  /**
   * Fail the verdict step when grounding is not load-bearing. Default true. (A value deletion
   * that still passes is a miss, so its own step fails either way.)
   */
  requireGrounding?: boolean;
  /** Receives the finished report (e.g. to write it somewhere). */
  onReport?: (report: HardenReport) => void | Promise<void>;
  /** Skip the test (with this reason in the name). */
  ignore?: boolean;
}

/** The `file:line:col` of the code that called `hardenSuite`, read from a stack trace. */
export function callerLocation(stack: string | undefined, self: string): string | null {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = line.match(/((?:file|https?|jsr|npm):\/\/?[^\s()]+?):(\d+):(\d+)\)?\s*$/);
    if (m && m[1] !== self) return `${m[1]}:${m[2]}:${m[3]}`;
  }
  return null;
}

function failure(message: string, caller: string | null): AssertionError {
  const e = new AssertionError({ message });
  // Point the failure at the user's test file (the hardenSuite call), not at zu's internals.
  if (caller) e.stack = `AssertionError: ${message}\n    at hardenSuite (${caller})`;
  return e;
}

function missMessage(agent: string, report: HardenReport, m: VariantMiss): string {
  return [
    `harden ${agent}: variant "${m.name}" ${m.got}, expected ${m.expect}`,
    `  why: ${m.why}`,
    `  what to change: ${m.fix}`,
    `  repro: ${reproCommand(report, m.name)}`,
  ].join("\n");
}

/**
 * Registers the harden test for `agentDir`: a `baseline` step, one step per variant, then the
 * `verdict` step ({@link hardenVerdict}, the same verdict as `zu harden`'s exit code). `perturb`
 * defaults to `"all"`, as `zu harden`'s does.
 */
export function hardenSuite(agentDir: string, options: HardenSuiteOptions = {}): void {
  const { name, requireGrounding, onReport, ignore, ...rest } = options;
  const hardenOptions: HardenOptions = { perturb: DEFAULT_PERTURB, ...rest };
  const caller = callerLocation(new Error().stack, import.meta.url);
  const agent = basename(agentDir.replace(/\/+$/, ""));
  Deno.test({
    name: name ?? `harden ${agent}`,
    ignore: ignore ?? false,
    fn: async (t) => {
      const report = await harden(agentDir, hardenOptions);
      await onReport?.(report);
      const verdict = hardenVerdict(report);
      await t.step("baseline", () => {
        if (verdict.baseline_failed !== null) {
          throw failure(
            `harden ${agent}: baseline failed: ${verdict.baseline_failed}; no variant was run — fix the agent or re-capture until zu replay succeeds`,
            caller,
          );
        }
      });
      const misses = new Map(verdict.misses.map((m) => [m.name, m]));
      for (const v of report.variants) {
        await t.step(v.name, () => {
          const m = misses.get(v.name);
          if (m) throw failure(missMessage(agent, report, m), caller);
        });
      }
      await t.step("verdict", () => {
        if (!verdict.passed) throw failure(`harden ${agent}: ${verdict.summary}`, caller);
        if ((requireGrounding ?? true) && !report.grounding_load_bearing) {
          throw failure(
            `harden ${agent}: grounding is not load-bearing: a value deletion still passed`,
            caller,
          );
        }
      });
    },
  });
}
