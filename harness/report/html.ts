/**
 * The harden report as one self-contained HTML page: inline CSS, no scripts, fonts, images or
 * other external assets. It leads with the verdict (red or green, from {@link hardenVerdict}), then
 * the failing variants with what happened, why, what to change and the command that replays each;
 * then summary cards with n/N and 95% intervals (bad numbers marked), the findings, and a table of
 * every variant (misses in colour, every row with its repro).
 *
 * @module
 */
import { attackTables } from "./attack_tables.ts";
import type { HardenReport } from "../harden.ts";
import { modeLabel } from "../harden_mode.ts";
import { hardenVerdict, type VariantMiss } from "../harden_verdict.ts";
import { formatRate, type Rate } from "../stats.ts";
import { escapeXml as esc } from "./_escape.ts";
import { reproCommand, reproLine } from "./repro.ts";

const CSS = `
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--muted:#6e7781;--line:#d0d7de;--bg2:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--line:#30363d;--bg2:#161b22;--muted:#8b949e}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:var(--muted);font-size:.85rem;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.75rem;margin:1rem 0}
.card{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;background:var(--bg2)}
.card b{display:block;font-size:1.3rem}.card span{color:var(--muted);font-size:.8rem}
.gate{font-weight:600}.gate.pass{color:var(--ok)}.gate.fail{color:var(--bad)}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:var(--bg2)}
tr.bad td{background:color-mix(in srgb,var(--bad) 10%,transparent)}
.tag{display:inline-block;border-radius:4px;padding:0 .35rem;font-size:.75rem;border:1px solid var(--line)}
.ok{color:var(--ok);font-weight:600}.no{color:var(--bad);font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.8rem}
details summary{cursor:pointer;color:var(--muted)}
.verdict{border-radius:10px;padding:1rem 1.2rem;margin:1rem 0;color:#fff}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}
.verdict h2{margin:0;font-size:1.6rem}.verdict p{margin:.35rem 0 0}
.card.bad{border:2px solid var(--bad)}.card.bad b{color:var(--bad)}
.miss{border-left:4px solid var(--bad);padding:.3rem .8rem;margin:.6rem 0;background:var(--bg2)}
.miss.tol{border-left-color:var(--muted)}
.miss p{margin:.2rem 0}
`;

function card(title: string, r: Rate, note: string, bad = false): string {
  return `<div class="card${bad ? " bad" : ""}"><span>${esc(title)}</span><b>${
    esc(r.text)
  }</b><span>${esc(formatRate(r))}<br>${esc(note)}</span></div>`;
}

function missHtml(report: HardenReport, m: VariantMiss): string {
  return `<div class="miss${m.tolerated ? " tol" : ""}"><p><b><code>${esc(m.name)}</code></b> ${
    esc(m.got)
  } (expected ${esc(m.expect)})</p><p>Why: ${esc(m.why)}</p><p>What to change: ${
    esc(m.fix)
  }</p><p>Repro: <code>${esc(reproCommand(report, m.name))}</code></p></div>`;
}

function verdictHtml(report: HardenReport): string {
  const v = hardenVerdict(report);
  const head = `<section class="verdict ${v.passed ? "pass" : "fail"}"><h2>${
    v.passed ? "PASSED" : "FAILED"
  } · exit ${v.exit_code}</h2><p>${esc(v.summary.replace(/^(PASSED|FAILED): /, ""))}</p></section>`;
  const baseline = v.baseline_failed === null
    ? ""
    : `<h2>Baseline failed</h2><div class="miss"><p>${
      esc(`The unperturbed capture replayed to ${v.baseline_failed}.`)
    }</p><p>What to change: fix the agent (or re-capture with zu capture) until zu replay succeeds, then harden again.</p></div>`;
  const misses = v.misses.length === 0
    ? ""
    : `<h2>Failing variants (${v.misses.length})</h2>\n${
      v.misses.map((m) => missHtml(report, m)).join("\n")
    }`;
  const tolerated = v.tolerated.length === 0
    ? ""
    : `<h2>Tolerated by the min score (${v.tolerated.length})</h2>\n${
      v.tolerated.map((m) => missHtml(report, m)).join("\n")
    }`;
  return [head, baseline, misses, tolerated].filter((x) => x).join("\n");
}

/** The report as a self-contained HTML page. */
export function reportHtml(report: HardenReport): string {
  const r = report.rates;
  const bad = hardenVerdict(report).bad;
  const rows = report.variants.map((v) => {
    const outcome = v.expect === "blocked"
      ? (v.blocked ? "blocked" : "attack succeeded")
      : v.passed
      ? "passed"
      : "failed";
    const details = [
      `repro: ${reproLine(report, v.name, v.seed)}`,
      ...(v.shrunk
        ? [`smallest failing subset: ${v.shrunk.parts.join(" + ")} (${v.shrunk.replays} replays)`]
        : []),
      ...(v.attack_executed.length
        ? [`attacker URLs reached: ${v.attack_executed.join(", ")}`]
        : []),
      ...v.fixture_errors,
      `events: ${v.event_types.join(" → ")}`,
    ];
    return `<tr class="${v.ok ? "" : "bad"}"><td class="${v.ok ? "ok" : "no"}">${
      v.ok ? "ok" : "!!"
    }</td>` +
      `<td><code>${esc(v.name)}</code></td><td><span class="tag">${esc(v.kind)}</span></td>` +
      `<td>${esc(v.expect)}</td><td>${esc(outcome)}</td>` +
      `<td>${esc(v.status)}${v.reason ? ` — ${esc(v.reason)}` : ""}</td><td>${v.unused}</td>` +
      `<td><details><summary>${v.duration_ms.toFixed(1)} ms</summary><code>${
        details.map(esc).join("<br>")
      }</code></details></td></tr>`;
  }).join("\n");
  const findings = report.findings.length === 0
    ? "<p>No single points of failure found.</p>"
    : `<ul>${
      report.findings.map((f) => `<li><b>${esc(f.kind)}</b> ${esc(f.where)}: ${esc(f.detail)}</li>`)
        .join("")
    }</ul>`;
  const gate = report.exit_code === 0 ? "pass" : "fail";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>zu harden: ${esc(report.agent)}</title>
<style>${CSS}</style></head>
<body>
<h1>zu harden: ${esc(report.agent)}</h1>
${verdictHtml(report)}
<div class="meta">bundle <code>${esc(report.bundle_hash)}</code> · mode ${esc(report.mode)} (${
    esc(modeLabel(report.mode))
  }) · seed ${report.seed} · ${report.timing.variants} variants in ${report.timing.wall_ms} ms (${report.timing.workers} workers) · baseline ${
    esc(report.baseline.status)
  }</div>
<p class="gate ${gate}">Gate: resilience ${Math.round(report.resilience * 100)}% vs min score ${
    Math.round(report.min_score * 100)
  }% (${report.resilience >= report.min_score ? "met" : "below"}) · ${
    report.variants.filter((v) => !v.ok).length
  } variant(s) missed → exit ${report.exit_code}${
    report.grounding_load_bearing ? "" : " · grounding is NOT load-bearing"
  }</p>
<div class="cards">
${card("Resilience", r.resilience, "benign variants absorbed", bad.resilience)}
${
    card(
      "Grounding load-bearing",
      r.grounding,
      report.grounding_load_bearing
        ? "every value deletion failed"
        : "a value deletion still passed",
      bad.grounding,
    )
  }
${
    card(
      "Failure detection",
      r.failure_detection,
      "faults that failed the run",
      bad.failure_detection,
    )
  }
${card("Attack success rate", r.attack_success, "lower is better", bad.attack_success)}
${card("Utility under attack", r.utility_under_attack, "attacked runs that still succeeded")}
${card("Met expectation", r.ok, "all variants", bad.ok)}
</div>
<h2>Findings</h2>
${findings}
${
    attackTables(report).map((t) =>
      `<h2>${esc(t.title)}</h2>\n<table><thead><tr>${
        t.head.map((h) => `<th>${esc(h)}</th>`).join("")
      }</tr></thead>\n<tbody>${
        t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join(
          "\n",
        )
      }</tbody></table>`
    ).join("\n")
  }
<h2>Variants</h2>
<table><thead><tr><th></th><th>variant</th><th>kind</th><th>expected</th><th>outcome</th><th>status</th><th>unused</th><th>details</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
