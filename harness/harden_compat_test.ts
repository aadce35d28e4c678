import assert from "node:assert/strict";
import { hardenAgentDirs } from "./_compat_test_util.ts";
import { harden } from "./harden.ts";

interface Detail {
  name: string;
  status: string;
  value: unknown;
  reason: string | null;
  event_types: string[];
}

interface Expected {
  baseline: Omit<Detail, "name">;
  variant_details: Detail[];
  findings: { kind: string; where: string; detail: string }[];
  variants: { name: string; expect_pass: boolean; passed: boolean; ok: boolean }[];
  resilience: number;
  grounding_load_bearing: boolean;
  cli_lines: string[];
}

const dirs = hardenAgentDirs();

Deno.test("the compat harden vectors are present", () => {
  assert.ok(dirs.length > 0, "no agent directory found under the compat harden folder");
});

for (const dir of dirs) {
  const name = dir.split("/").pop();
  for (const workers of [0, 2]) {
    Deno.test(`harden gives zu's findings, variants and scores on compat agent "${name}" (${workers} workers)`, async () => {
      const expected = JSON.parse(await Deno.readTextFile(`${dir}/expected.json`)) as Expected;
      const report = await harden(dir, { workers });
      assert.deepEqual(report.findings, expected.findings);
      assert.deepEqual(
        report.variants.map((v) => ({
          name: v.name,
          expect_pass: v.expect_pass,
          passed: v.passed,
          ok: v.ok,
        })),
        expected.variants,
      );
      assert.equal(report.timing.workers, workers);
      // Beyond the required fields: the same Result and event-type sequence for every run.
      assert.equal(report.baseline.status, expected.baseline.status);
      assert.deepEqual(report.baseline.value, expected.baseline.value);
      assert.deepEqual(report.baseline.event_types, expected.baseline.event_types);
      assert.deepEqual(
        report.variants.map((v) => ({
          name: v.name,
          status: v.status,
          reason: v.reason,
          event_types: v.event_types,
        })),
        expected.variant_details.map((d) => ({
          name: d.name,
          status: d.status,
          reason: d.reason,
          event_types: d.event_types,
        })),
      );
      assert.equal(report.resilience, expected.resilience);
      assert.equal(report.grounding_load_bearing, expected.grounding_load_bearing);
      assert.equal(report.exit_code, expected.resilience < 1 ? 1 : 0);
      // zu's printed lines (those the library renders; the CLI adds "[exit 1]").
      const lines = report.lines.map((
        l,
      ) => (l.stream === "stderr" ? `[stderr] ${l.text}` : l.text));
      assert.deepEqual(lines, expected.cli_lines.filter((l) => !l.startsWith("[exit")));
    });
  }
}
