/**
 * The harden report as a Markdown summary: the rates with intervals, the findings, and one table
 * row per variant.
 *
 * @module
 */
import type { HardenReport } from "../harden.ts";
import { formatRate } from "../stats.ts";

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The report as Markdown text. */
export function reportMarkdown(report: HardenReport): string {
  const r = report.rates;
  const out: string[] = [
    `# zu harden: ${report.agent}`,
    "",
    `Bundle \`${report.bundle_hash}\` · mode \`${report.mode}\` · seed ${report.seed} · ` +
    `${report.timing.variants} variants in ${report.timing.wall_ms} ms (${report.timing.workers} workers)`,
    "",
    "| metric | value |",
    "|---|---|",
    `| resilience (benign variants absorbed) | ${formatRate(r.resilience)} |`,
    `| grounding load-bearing (value deletions that failed) | ${formatRate(r.grounding)} — ${
      report.grounding_load_bearing ? "yes" : "**NO**"
    } |`,
    `| failure detection (faults that failed the run) | ${formatRate(r.failure_detection)} |`,
    `| attack success rate (lower is better) | ${formatRate(r.attack_success)} |`,
    `| utility under attack | ${formatRate(r.utility_under_attack)} |`,
    `| variants meeting expectation | ${formatRate(r.ok)} |`,
    `| gate | min score ${Math.round(report.min_score * 100)}% → exit ${report.exit_code} |`,
    "",
  ];
  if (report.findings.length > 0) {
    out.push("## Findings", "");
    for (const f of report.findings) out.push(`- **${f.kind}** ${f.where}: ${f.detail}`);
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
