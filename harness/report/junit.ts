/**
 * The harden report as JUnit XML: one testsuite for the agent, one testcase per variant; a
 * variant that missed its expectation is a `<failure>` whose message is a one-line repro.
 *
 * @module
 */
import type { HardenReport } from "../harden.ts";
import { escapeXml } from "./_escape.ts";

/** The repro line of a variant. */
export function reproLine(report: HardenReport, name: string, seed: number): string {
  return `zu harden ${report.agent_dir} --mode ${report.mode} --perturb '${name}' --seed ${report.seed} ` +
    `(variant seed ${seed}, bundle ${report.bundle_hash})`;
}

/** The report as JUnit XML text. */
export function reportJunit(report: HardenReport): string {
  const failures = report.variants.filter((v) => !v.ok).length;
  const time = (report.timing.wall_ms / 1000).toFixed(3);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="zu harden" tests="${report.variants.length}" failures="${failures}" time="${time}">`,
  );
  out.push(
    `  <testsuite name="${
      escapeXml(report.agent)
    }" tests="${report.variants.length}" failures="${failures}" errors="0" skipped="0" time="${time}">`,
  );
  out.push("    <properties>");
  const props: [string, string][] = [
    ["bundle_hash", report.bundle_hash],
    ["mode", report.mode],
    ["seed", String(report.seed)],
    ["resilience", `${report.rates.resilience.text}`],
    ["grounding_load_bearing", String(report.grounding_load_bearing)],
    ["attack_success", report.rates.attack_success.text],
    ...report.findings.map((
      f,
      i,
    ): [string, string] => [`finding.${i + 1}`, `[${f.kind}] ${f.where}: ${f.detail}`]),
  ];
  for (const [k, v] of props) {
    out.push(`      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`);
  }
  out.push("    </properties>");
  for (const v of report.variants) {
    const head = `    <testcase classname="zu.harden.${escapeXml(report.agent)}.${v.kind}" name="${
      escapeXml(v.name)
    }" time="${(v.duration_ms / 1000).toFixed(3)}"`;
    if (v.ok) {
      out.push(`${head}/>`);
      continue;
    }
    const got = v.expect === "blocked"
      ? "attack succeeded"
      : v.passed
      ? "passed"
      : `failed (${v.reason ?? v.status})`;
    const msg = `${v.name}: ${got}, expected ${v.expect}`;
    const body = [
      reproLine(report, v.name, v.seed),
      ...(v.shrunk
        ? [`smallest failing subset: ${v.shrunk.parts.join(" + ")} (${v.shrunk.replays} replays)`]
        : []),
      ...(v.attack_executed.length
        ? [`attacker URLs reached: ${v.attack_executed.join(", ")}`]
        : []),
      ...v.fixture_errors,
    ].join("\n");
    out.push(`${head}>`);
    out.push(
      `      <failure message="${escapeXml(msg)}" type="${v.expect}">${escapeXml(body)}</failure>`,
    );
    out.push("    </testcase>");
  }
  out.push("  </testsuite>");
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
