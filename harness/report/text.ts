/**
 * The harden report as the terminal text `zu harden` prints: zu's lines, then each failing
 * variant with what happened, why it matters, what to change and its repro command, then the
 * counts and the verdict line (from {@link hardenVerdict}, like every other format).
 *
 * @module
 */
import type { HardenReport, ReportLine } from "../harden.ts";
import { hardenVerdict, type VariantMiss } from "../harden_verdict.ts";
import { reproCommand } from "./repro.ts";
import { attackTables } from "./attack_tables.ts";

function missLines(report: HardenReport, m: VariantMiss): ReportLine[] {
  const line = (text: string): ReportLine => ({ stream: "stderr", text });
  return [
    line(`  !! ${m.name}: ${m.got} (expected ${m.expect})`),
    line(`     why: ${m.why}`),
    line(`     change: ${m.fix}`),
    line(`     repro: ${reproCommand(report, m.name)}`),
  ];
}

/** The text report, line by line (stdout and stderr). */
export function reportText(report: HardenReport): ReportLine[] {
  const verdict = hardenVerdict(report);
  const out: ReportLine[] = [...report.lines];
  if (verdict.misses.length > 0) {
    out.push({ stream: "stderr", text: "failing variants:" });
    for (const m of verdict.misses) out.push(...missLines(report, m));
  }
  if (verdict.tolerated.length > 0) {
    out.push({
      stream: "stderr",
      text: `tolerated by --min-score ${report.min_score} (benign misses, not failing):`,
    });
    for (const m of verdict.tolerated) out.push(...missLines(report, m));
  }
  if (verdict.baseline_failed === null) {
    const r = report.rates;
    out.push({
      stream: "stdout",
      text:
        `variants: ${report.variants.length} (${r.ok.n}/${r.ok.total} as expected), attack success ${r.attack_success.n}/${r.attack_success.total}, ${report.timing.variants_per_s} variants/s`,
    });
  }
  for (const t of attackTables(report)) {
    if (t.title === "Attacks") continue; // per-variant rows: in the other formats and --json
    out.push({ stream: "stdout", text: `${t.title}:` });
    for (const row of t.rows) {
      out.push({
        stream: "stdout",
        text: t.head.length === 2
          ? `  ${row[0]}: ${row[1]}`
          : `  ${row.map((c, i) => (i === 0 ? c : `${t.head[i]}: ${c}`)).join(" · ")}`,
      });
    }
  }
  out.push({
    stream: verdict.passed ? "stdout" : "stderr",
    text: `verdict: ${verdict.summary} (exit ${verdict.exit_code})`,
  });
  return out;
}
