import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { harden } from "./harden.ts";
import type { HardenReport } from "./harden.ts";
import { hardenVerdict } from "./harden_verdict.ts";
import { reportHtml, reportJunit, reportMarkdown, reportText } from "./report/mod.ts";
import { escapeXml } from "./report/_escape.ts";

const agent = (name: string): string =>
  fileURLToPath(new URL(`./testdata/agents/${name}`, import.meta.url));
const CLEAN = agent("bookshop-clean");
const SPLIT = agent("bookshop-split");
const WEAK = agent("bookshop-weak");

/** A copy of the clean agent whose recorded answer misses a required key: the baseline fails. */
async function brokenBaseline(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_baseline_" });
  await Deno.mkdir(`${dir}/fixtures`);
  await Deno.copyFile(`${CLEAN}/agent.yaml`, `${dir}/agent.yaml`);
  const bundle = JSON.parse(await Deno.readTextFile(`${CLEAN}/fixtures/capture.json`));
  bundle.moves[bundle.moves.length - 1].text = '{"name": "Librería Ñandú"}';
  await Deno.writeTextFile(`${dir}/fixtures/capture.json`, JSON.stringify(bundle));
  return dir;
}

/** What each output says about the verdict: passed or not, and the failing variants it names. */
function verdicts(report: HardenReport) {
  const text = reportText(report);
  const last = text.at(-1)!.text;
  const html = reportHtml(report);
  const md = reportMarkdown(report);
  const xml = reportJunit(report);
  const failed = [...xml.matchAll(/<testcase [^>]*name="([^"]*)"[^/>]*>\s*<failure /g)].map((m) =>
    m[1]!
  );
  return {
    text: /^verdict: PASSED/.test(last),
    html: html.includes('<section class="verdict pass">'),
    markdown: md.includes("**✅ PASSED**"),
    junit: / failures="0"/.test(xml),
    exit: report.exit_code === 0,
    junitFailed: failed,
    htmlText: html,
    md,
  };
}

Deno.test("harden fails a weak agent whose value deletions and faults still pass though resilience is 100%", async () => {
  const report = await harden(WEAK, { perturb: "all", workers: 0 });
  assert.equal(report.resilience, 1, "zu's gate alone would have promoted it");
  assert.equal(report.exit_code, 1);
  assert.equal(report.verdict.passed, false);
  const missed = report.verdict.misses.map((m) => m.name);
  assert.ok(missed.includes("drop-value:19:45") && missed.includes("http-5xx"), missed.join());
  assert.deepEqual(missed, report.variants.filter((v) => !v.ok).map((v) => v.name));
  const fault = report.verdict.misses.find((m) => m.name === "http-5xx")!;
  assert.equal(fault.got, "passed");
  assert.match(fault.fix, /detectors/);
  assert.match(report.lines.at(-1)!.text, /^harden: \d+ variant\(s\) missed their expectation/);
  assert.ok(!report.lines.some((l) => /resilient enough to promote/.test(l.text)));
});

Deno.test("the text, HTML, Markdown and JUnit outputs agree on the verdict and the failing variants", async () => {
  const dir = await brokenBaseline();
  try {
    const reports = [
      await harden(WEAK, { perturb: "all", workers: 0 }),
      await harden(CLEAN, { perturb: "all", workers: 0 }),
      await harden(SPLIT, { workers: 0 }),
      await harden(WEAK, { perturb: ["banner-prefix"], workers: 0 }),
      await harden(dir, { workers: 0 }),
    ];
    assert.deepEqual(reports.map((r) => r.verdict.passed), [false, true, false, true, false]);
    for (const report of reports) {
      const passed = hardenVerdict(report).passed;
      const v = verdicts(report);
      assert.deepEqual(
        [v.text, v.html, v.markdown, v.junit, v.exit],
        [passed, passed, passed, passed, passed],
        report.agent,
      );
      const names = report.verdict.misses.map((m) => m.name);
      const expectedJunit = report.verdict.baseline_failed ? ["baseline"] : names.map(escapeXml);
      assert.deepEqual(
        v.junitFailed,
        expectedJunit,
        report.agent,
      );
      const text = reportText(report).map((l) => l.text).join("\n");
      for (const n of names) {
        assert.ok(text.includes(`  !! ${n}: `), `text lacks ${n}`);
        assert.ok(v.md.includes(`- \`${n}\`: `), `markdown lacks ${n}`);
        assert.ok(
          v.htmlText.includes(`<div class="miss"><p><b><code>${escapeXml(n)}</code>`),
          `html lacks ${n}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the HTML report leads with the verdict, the failing variants with what to change, and marks bad numbers", async () => {
  const report = await harden(WEAK, { perturb: "all", workers: 0 });
  const html = reportHtml(report);
  const verdictAt = html.indexOf('<section class="verdict fail">');
  assert.ok(verdictAt > 0 && verdictAt < html.indexOf('<div class="cards">'));
  assert.ok(html.indexOf("Failing variants (9)") < html.indexOf('<div class="cards">'));
  assert.match(html, /What to change: add the grounding validator/);
  assert.match(
    html,
    /Repro: <code>zu harden \S+ --model script --perturb http-5xx --seed 0<\/code>/,
  );
  assert.match(html, /<div class="card bad"><span>Grounding load-bearing/);
  assert.match(html, /<div class="card bad"><span>Failure detection/);
  assert.match(html, /<div class="card"><span>Resilience/);
});

Deno.test('a baseline that fails stops harden with "baseline failed" before any variant', async () => {
  const dir = await brokenBaseline();
  try {
    const report = await harden(dir, { perturb: "all", workers: 0 });
    assert.equal(report.baseline.status, "terminal");
    assert.deepEqual(report.variants, []);
    assert.equal(report.exit_code, 1);
    const last = report.lines.at(-1)!;
    assert.equal(last.stream, "stderr");
    assert.match(last.text, /^harden: baseline failed: terminal \(.+\) — .*no variant was run/);
    assert.match(report.verdict.summary, /^FAILED: baseline failed: terminal/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("perturb runs exactly the variants it names", async () => {
  const names = async (perturb: string[]) =>
    (await harden(CLEAN, { perturb, workers: 0 })).variants.map((v) => v.name);
  assert.deepEqual(await names(["promo-suffix"]), ["promo-suffix"]);
  assert.deepEqual(await names(["drop-value"]), [
    "drop-value:Librería Ñandú",
    "drop-value:19:45",
    "drop-value:雪国",
  ]);
  assert.deepEqual(await names(["http-5xx", "zu", "http-5xx"]), [
    "http-5xx",
    "banner-prefix",
    "promo-suffix",
    "drop-value:Librería Ñandú",
    "drop-value:19:45",
    "drop-value:雪国",
  ]);
});

Deno.test("the header states the real mode: live calls a model, hijacked and script do not", async () => {
  const header = async (mode: "script" | "hijacked") =>
    (await harden(CLEAN, { mode, perturb: ["banner-prefix"], workers: 0 })).lines[0]!.text;
  assert.equal(
    await header("script"),
    "zu harden: bookshop-clean (offline — no model, no network)",
  );
  assert.match(await header("hijacked"), /\(offline — a hijacked model/);
  const { modeLabel } = await import("./harden_mode.ts");
  assert.match(modeLabel("live"), /^live — calls the agent's model/);
});
