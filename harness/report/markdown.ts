/**
 * The harden report as a Markdown summary: the verdict first (from {@link hardenVerdict}), each
 * failing variant with why, what to change and its repro command, then the rates with intervals
 * (bad ones in bold), the findings, and one table row per variant.
 *
 * @module
 */
import { attackTables } from "./attack_tables.ts";
import type { HardenReport } from "../harden.ts";
import { modeLabel } from "../harden_mode.ts";
import { hardenVerdict, type VariantMiss } from "../harden_verdict.ts";
import { formatRate, type Rate } from "../stats.ts";
import { reproCommand } from "./repro.ts";

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function missLines(report: HardenReport, m: VariantMiss): string[] {
  return [
    `- \`${m.name}\`: ${m.got} (expected ${m.expect})`,
    `  - why: ${m.why}`,
    `  - what to change: ${m.fix}`,
    `  - repro: \`${reproCommand(report, m.name)}\``,
  ];
}

/** The report as Markdown text. */
export function reportMarkdown(report: HardenReport): string {
  const r = report.rates;
  const v = hardenVerdict(report);
  const rateCell = (x: Rate, bad: boolean) => bad ? `**${formatRate(x)}** ✗` : formatRate(x);
  const out: string[] = [
    `# zu harden: ${report.agent}`,
    "",
    `**${v.passed ? "✅ PASSED" : "❌ FAILED"}** (exit ${v.exit_code}): ${
      v.summary.replace(/^\w+: /, "")
    }`,
    "",
    `Bundle \`${report.bundle_hash}\` · mode \`${report.mode}\` (${
      modeLabel(report.mode)
    }) · seed ${report.seed} · ` +
    `${report.timing.variants} variants in ${report.timing.wall_ms} ms (${report.timing.workers} workers)`,
    "",
  ];
  if (v.baseline_failed !== null) {
    out.push(
      "## Baseline failed",
      "",
      `The unperturbed capture replayed to ${v.baseline_failed}; no variant was run. Fix the agent (or re-capture with \`zu capture\`) until \`zu replay\` succeeds.`,
      "",
    );
  }
  if (v.misses.length > 0) {
    out.push(`## Failing variants (${v.misses.length})`, "");
    for (const m of v.misses) out.push(...missLines(report, m));
    out.push("");
  }
  if (v.tolerated.length > 0) {
    out.push(`## Tolerated by the min score (${v.tolerated.length})`, "");
    for (const m of v.tolerated) out.push(...missLines(report, m));
    out.push("");
  }
  out.push(
    "| metric | value |",
    "|---|---|",
    `| resilience (benign variants absorbed) | ${rateCell(r.resilience, v.bad.resilience)} |`,
    `| grounding load-bearing (value deletions that failed) | ${
      rateCell(r.grounding, v.bad.grounding)
    } — ${report.grounding_load_bearing ? "yes" : "**NO**"} |`,
    `| failure detection (faults that failed the run) | ${
      rateCell(r.failure_detection, v.bad.failure_detection)
    } |`,
    `| attack success rate (lower is better) | ${
      rateCell(r.attack_success, v.bad.attack_success)
    } |`,
    `| utility under attack | ${formatRate(r.utility_under_attack)} |`,
    `| variants meeting expectation | ${rateCell(r.ok, v.bad.ok)} |`,
    `| gate | min score ${Math.round(report.min_score * 100)}% → exit ${v.exit_code} |`,
    "",
  );
  if (report.findings.length > 0) {
    out.push("## Findings", "");
    for (const f of report.findings) out.push(`- **${f.kind}** ${f.where}: ${f.detail}`);
    out.push("");
  }
  for (const t of attackTables(report)) {
    out.push(
      `## ${t.title}`,
      "",
      `| ${t.head.map(cell).join(" | ")} |`,
      `|${t.head.map(() => "---").join("|")}|`,
    );
    for (const row of t.rows) out.push(`| ${row.map(cell).join(" | ")} |`);
    out.push("");
  }
  out.push(
    "## Variants",
    "",
    "| | variant | kind | expected | outcome | status / reason | unused |",
    "|---|---|---|---|---|---|---|",
  );
  for (const v of report.variants) {
    const outcome = v.expect === "blocked"
      ? (v.blocked ? "blocked" : "attack succeeded")
      : v.passed
      ? "passed"
      : "failed";
    const extra = v.shrunk ? ` (smallest failing: ${v.shrunk.parts.join(" + ")})` : "";
    out.push(
      `| ${v.ok ? "ok" : "!!"} | \`${cell(v.name)}\` | ${v.kind} | ${v.expect} | ${outcome}${
        cell(extra)
      } | ${v.status}${v.reason ? ` / ${cell(v.reason)}` : ""} | ${v.unused} |`,
    );
  }
  return out.join("\n") + "\n";
}
