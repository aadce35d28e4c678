/**
 * The harden report as JUnit XML: one testsuite for the agent, one testcase per variant; a
 * variant whose miss fails the verdict ({@link hardenVerdict}) is a `<failure>` with why, what to
 * change and a repro command; a benign miss the min score tolerates passes with a `<system-out>`
 * note; a failed baseline is one failing `baseline` testcase (no variant was run).
 *
 * @module
 */
import { attackTables } from "./attack_tables.ts";
import type { HardenReport } from "../harden.ts";
import { hardenVerdict } from "../harden_verdict.ts";
import { escapeXml } from "./_escape.ts";
import { reproLine } from "./repro.ts";

/** The report as JUnit XML text. */
export function reportJunit(report: HardenReport): string {
  const verdict = hardenVerdict(report);
  const misses = new Map(verdict.misses.map((m) => [m.name, m]));
  const tolerated = new Map(verdict.tolerated.map((m) => [m.name, m]));
  const baselineFailed = verdict.baseline_failed !== null;
  const tests = report.variants.length + (baselineFailed ? 1 : 0);
  const failures = misses.size + (baselineFailed ? 1 : 0);
  const time = (report.timing.wall_ms / 1000).toFixed(3);
  const suite = escapeXml(report.agent);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="zu harden" tests="${tests}" failures="${failures}" time="${time}">`,
  );
  out.push(
    `  <testsuite name="${suite}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${time}">`,
  );
  out.push("    <properties>");
  const props: [string, string][] = [
    ["verdict", verdict.summary],
    ["exit_code", String(verdict.exit_code)],
    ["bundle_hash", report.bundle_hash],
    ["mode", report.mode],
    ["seed", String(report.seed)],
    ["resilience", `${report.rates.resilience.text}`],
    ["min_score", String(report.min_score)],
    ["grounding_load_bearing", String(report.grounding_load_bearing)],
    ["attack_success", report.rates.attack_success.text],
    ...attackTables(report).filter((t) => t.title !== "Attacks").flatMap((t) =>
      t.rows.map((row): [string, string] => [
        `${t.title}.${row[0]}`,
        row.slice(1).map((c, i) => `${t.head[i + 1]}: ${c}`).join("; "),
      ])
    ),
    ...report.findings.map((
      f,
      i,
    ): [string, string] => [`finding.${i + 1}`, `[${f.kind}] ${f.where}: ${f.detail}`]),
  ];
  for (const [k, v] of props) {
    out.push(`      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`);
  }
  out.push("    </properties>");
  if (baselineFailed) {
    const msg = `baseline failed: ${verdict.baseline_failed}`;
    out.push(`    <testcase classname="zu.harden.${suite}" name="baseline" time="${time}">`);
    out.push(
      `      <failure message="${escapeXml(msg)}" type="baseline">${
        escapeXml(
          "The unperturbed capture does not replay to success, so no variant was run. Fix the agent (or re-capture with zu capture) until zu replay succeeds.",
        )
      }</failure>`,
    );
    out.push("    </testcase>");
  }
  for (const v of report.variants) {
    const head = `    <testcase classname="zu.harden.${suite}.${v.kind}" name="${
      escapeXml(v.name)
    }" time="${(v.duration_ms / 1000).toFixed(3)}"`;
    const m = misses.get(v.name) ?? tolerated.get(v.name);
    if (!m) {
      out.push(`${head}/>`);
      continue;
    }
    const msg = `${v.name}: ${m.got}, expected ${v.expect}`;
    const body = [
      `why: ${m.why}`,
      `what to change: ${m.fix}`,
      `repro: ${reproLine(report, v.name, v.seed)}`,
      ...(v.shrunk
        ? [`smallest failing subset: ${v.shrunk.parts.join(" + ")} (${v.shrunk.replays} replays)`]
        : []),
      ...v.fixture_errors,
    ].join("\n");
    out.push(`${head}>`);
    if (m.tolerated) {
      out.push(
        `      <system-out>${
          escapeXml(`tolerated by the min score ${report.min_score}: ${msg}\n${body}`)
        }</system-out>`,
      );
    } else {
      out.push(
        `      <failure message="${escapeXml(msg)}" type="${v.expect}">${
          escapeXml(body)
        }</failure>`,
      );
    }
    out.push("    </testcase>");
  }
  out.push("  </testsuite>");
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
