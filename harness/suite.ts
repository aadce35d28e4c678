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
 * Permissions (what `deno test` must grant; this file's own test runs with exactly these):
 * - `--allow-read=<agent dir>`: agent.yaml and `fixtures/capture.json`;
 * - `--allow-env=LOG_STREAM,LOG_TOKENS`: the YAML parser reads these two debug switches;
 * - `--allow-write=<dir>` only with `reportDir`;
 * - no network, no run: replays are offline (`mode: "live"` also needs `--allow-net=<provider
 *   host>` and the provider's key variable in `--allow-env`);
 * - with `env` for an encrypted bundle, nothing more (the key is passed in, not read).
 * With 32 or more variants harden replays in module workers, which inherit these permissions;
 * `workers: 0` keeps it in-process. Plugins of your own that read files or the environment need
 * those grants too.
 *
 * @example
 * ```ts ignore
 * // agent_harden_test.ts, run with:
 * //   deno test --allow-read=fixtures --allow-env=LOG_STREAM,LOG_TOKENS agent_harden_test.ts
 * import { hardenSuite } from "@zu/zu/harness";
 * hardenSuite("fixtures/agents/shop-price");
 * ```
 * @module
 */
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

/**
 * An assertion failure whose stack is the user's: the frames of the `hardenSuite` call (captured
 * when it was called), not zu's internals, so `deno test` points at the user's test file.
 */
function failure(message: string, site: Error): Error {
  const e = new Error(message);
  e.name = "AssertionError";
  const frames = (site.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  e.stack = [`AssertionError: ${message}`, ...frames].join("\n");
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
  const caller = new Error("hardenSuite");
  Error.captureStackTrace(caller, hardenSuite);
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
