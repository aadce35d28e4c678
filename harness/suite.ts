/**
 * `deno test` integration: `hardenSuite(agentDir, options)` registers one `Deno.test` that
 * hardens the agent and reports one `t.step` per variant (plus the gate), so a user's fixture
 * suite is plain `deno test` and shows up in `--junit-path` output.
 *
 * @example
 * ```ts ignore
 * // agent_harden_test.ts
 * import { hardenSuite } from "@zu/zu/harness";
 * hardenSuite("fixtures/agents/shop-price", { perturb: "all" });
 * ```
 * @module
 */
import { AssertionError } from "node:assert";
import { basename } from "node:path";
import { harden, type HardenOptions, type HardenReport } from "./harden.ts";

/** Options of {@link hardenSuite}: harden's, plus the test's name and permissions. */
export interface HardenSuiteOptions extends HardenOptions {
  /** Test name. Default `harden <agent directory name>`. */
  name?: string;
  /** Fail the gate step when grounding is not load-bearing. Default true. */
  requireGrounding?: boolean;
  /** Receives the finished report (e.g. to write it somewhere). */
  onReport?: (report: HardenReport) => void | Promise<void>;
  /** Skip the test (with this reason in the name). */
  ignore?: boolean;
}

function describe(v: HardenReport["variants"][number]): string {
  const got = v.expect === "blocked"
    ? (v.blocked
      ? "blocked"
      : `attack succeeded (${v.attack_executed.join(", ") || "canary reported"})`)
    : v.passed
    ? "passed"
    : `failed: ${v.status}${v.reason ? ` (${v.reason})` : ""}`;
  const extra = v.shrunk ? `; smallest failing subset: ${v.shrunk.parts.join(" + ")}` : "";
  return `variant "${v.name}" ${got}, expected ${v.expect}${extra}`;
}

/** Registers the harden test for `agentDir`: one step per variant, then the gate. */
export function hardenSuite(agentDir: string, options: HardenSuiteOptions = {}): void {
  const { name, requireGrounding, onReport, ignore, ...hardenOptions } = options;
  Deno.test({
    name: name ?? `harden ${basename(agentDir.replace(/\/+$/, ""))}`,
    ignore: ignore ?? false,
    fn: async (t) => {
      const report = await harden(agentDir, hardenOptions);
      await onReport?.(report);
      for (const v of report.variants) {
        await t.step(v.name, () => {
          if (!v.ok) throw new AssertionError({ message: describe(v) });
        });
      }
      await t.step("gate", () => {
        if (report.exit_code !== 0) {
          throw new AssertionError({
            message:
              `resilience ${report.rates.resilience.text} is below the min score ${report.min_score}`,
          });
        }
        if ((requireGrounding ?? true) && !report.grounding_load_bearing) {
          throw new AssertionError({
            message: "grounding is not load-bearing: a value deletion still passed",
          });
        }
      });
    },
  });
}
