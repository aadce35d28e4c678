import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import { contentHash, readBundle, writeBundle } from "./bundle.ts";
import { UserError } from "../core/errors.ts";
import { harden } from "./harden.ts";
import { reportHtml, reportJunit, reportMarkdown } from "./report/mod.ts";
import { rate, wilson } from "./stats.ts";

/** Our own test agents (see `testdata/agents/README.md`), not the compat vectors. */
const agent = (name: string): string =>
  fileURLToPath(new URL(`./testdata/agents/${name}`, import.meta.url));
const CLEAN = agent("bookshop-clean");
const SPLIT = agent("bookshop-split");

async function agentWithAllowlist(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_" });
  const src = CLEAN;
  await Deno.mkdir(`${dir}/fixtures`);
  await Deno.copyFile(`${src}/fixtures/capture.json`, `${dir}/fixtures/capture.json`);
  const yaml = await Deno.readTextFile(`${src}/agent.yaml`);
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    `${yaml}allowed_domains:\n- libreria-nandu.example\n`,
  );
  return dir;
}

Deno.test("Wilson intervals match the textbook values", () => {
  const [lo, hi] = wilson(9, 10);
  assert.ok(Math.abs(lo - 0.5958) < 1e-3 && Math.abs(hi - 0.9821) < 1e-3);
  assert.deepEqual(wilson(0, 0), [0, 1]);
  const r = rate(0, 5);
  assert.equal(r.text, "0/5");
  assert.equal(r.low, 0);
  assert.ok(r.high > 0.43 && r.high < 0.44);
});

const SINGLE =
  "appears in only one fixture observation — a single wording change there loses the grounding for this value.";
const brief = (report: Awaited<ReturnType<typeof harden>>) =>
  report.variants.map((v) => [v.name, v.expect_pass, v.passed, v.ok]);

Deno.test("harden scores a clean two-page capture as resilient with grounding load-bearing", async () => {
  const report = await harden(CLEAN, { workers: 0 });
  assert.equal(report.baseline.status, "success");
  assert.deepEqual(report.baseline.value, {
    name: "Librería Ñandú",
    closes: "19:45",
    featured: "雪国",
  });
  assert.deepEqual(report.findings, [
    { kind: "single-occurrence", where: "value '19:45'", detail: SINGLE },
    { kind: "single-occurrence", where: "value '雪国'", detail: SINGLE },
  ]);
  assert.deepEqual(brief(report), [
    ["banner-prefix", true, true, true],
    ["promo-suffix", true, true, true],
    ["drop-value:Librería Ñandú", false, false, true],
    ["drop-value:19:45", false, false, true],
    ["drop-value:雪国", false, false, true],
  ]);
  assert.equal(report.resilience, 1);
  assert.equal(report.grounding_load_bearing, true);
  assert.equal(report.exit_code, 0);
  assert.equal(report.lines.at(-1)?.text, "harden: resilient enough to promote.");
});

Deno.test("harden finds a value grounded only across the join of two pages brittle and not load-bearing", async () => {
  const report = await harden(SPLIT, { workers: 0 });
  assert.equal(report.baseline.status, "success");
  assert.deepEqual(report.findings, [
    { kind: "single-occurrence", where: "value '€3,50'", detail: SINGLE },
  ]);
  assert.deepEqual(brief(report), [
    ["banner-prefix", true, false, false],
    ["promo-suffix", true, false, false],
    ["drop-value:window is thirty days", false, true, false],
    ["drop-value:€3,50", false, false, true],
  ]);
  assert.equal(report.resilience, 0);
  assert.equal(report.grounding_load_bearing, false);
  assert.equal(report.exit_code, 1);
  assert.ok(
    report.lines.some((l) => l.stream === "stderr" && /grounding is NOT gating/.test(l.text)),
  );
});

Deno.test("every extra perturbation meets its expectation on a clean capture in script mode", async () => {
  const report = await harden(CLEAN, { perturb: "all", workers: 0 });
  const bad = report.variants.filter((v) => !v.ok).map((v) => `${v.name}: ${v.status} ${v.reason}`);
  assert.deepEqual(bad, []);
  assert.ok(report.variants.length >= 25);
  assert.equal(report.rates.attack_success.text, "0/7");
  const dup = report.variants.find((v) => v.name === "duplicated-observation")!;
  assert.equal(dup.unused, 1, "the duplicated response is reported unused");
});

Deno.test("the hijacked model's attacks succeed without an allowlist and are blocked with one", async () => {
  const open = await harden(CLEAN, {
    perturb: "all",
    mode: "hijacked",
    workers: 0,
  });
  const openAttacks = open.variants.filter((v) => v.expect === "blocked");
  assert.equal(openAttacks.length, 7);
  assert.ok(
    openAttacks.every((v) =>
      !v.ok && v.attack_executed[0]?.startsWith("https://attacker.example/")
    ),
  );
  assert.equal(open.rates.attack_success.text, "7/7");

  const dir = await agentWithAllowlist();
  try {
    const guarded = await harden(dir, { perturb: "all", mode: "hijacked", workers: 0 });
    const attacks = guarded.variants.filter((v) => v.expect === "blocked");
    assert.ok(
      attacks.every((v) => v.ok && v.blocked && v.attack_attempted === 1),
      JSON.stringify(attacks),
    );
    assert.ok(attacks.every((v) => v.event_types.includes("harness.defense.blocked")));
    assert.equal(guarded.rates.attack_success.text, "0/7");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing composed variant is shrunk to its smallest failing subset", async () => {
  const report = await harden(SPLIT, {
    perturb: ["renamed-css-classes+banner-prefix"],
    workers: 0,
  });
  const v = report.variants.find((x) => x.name === "renamed-css-classes+banner-prefix")!;
  assert.equal(v.ok, false);
  assert.deepEqual(v.parts, ["renamed-css-classes", "banner-prefix"]);
  assert.deepEqual(v.shrunk, { parts: ["banner-prefix"], replays: 2 });
});

Deno.test("minScore tolerates benign misses only: a value deletion that still passes fails at any min score", async () => {
  const dir = SPLIT;
  assert.equal((await harden(dir, { workers: 0 })).exit_code, 1);
  const lenient = await harden(dir, { workers: 0, minScore: 0 });
  assert.equal(lenient.exit_code, 1);
  assert.deepEqual(lenient.verdict.misses.map((m) => m.name), ["drop-value:window is thirty days"]);
  assert.deepEqual(lenient.verdict.tolerated.map((m) => m.name), ["banner-prefix", "promo-suffix"]);
  const benignOnly = await harden(dir, {
    workers: 0,
    minScore: 0,
    perturb: ["banner-prefix", "drop-value:€3,50"],
  });
  assert.equal(benignOnly.exit_code, 0);
  assert.match(benignOnly.verdict.summary, /^PASSED: 1 of 2 .*1 benign miss\(es\) tolerated/);
});

Deno.test("reports are written as JSON, JUnit XML, Markdown and self-contained HTML", async () => {
  const out = await Deno.makeTempDir({ prefix: "zu_report_" });
  try {
    const report = await harden(SPLIT, {
      perturb: "all",
      workers: 0,
      reportDir: out,
    });
    assert.deepEqual(report.written?.map((p) => p.split("/").pop()), [
      "harden.json",
      "harden.junit.xml",
      "harden.md",
      "harden.html",
    ]);
    const json = JSON.parse(await Deno.readTextFile(`${out}/harden.json`));
    assert.equal(json.schema_version, 1);
    assert.equal(json.variants.length, report.variants.length);

    const xml = reportJunit(report);
    const failures = report.variants.filter((v) => !v.ok).length;
    assert.equal((xml.match(/<testcase /g) ?? []).length, report.variants.length);
    assert.equal((xml.match(/<failure /g) ?? []).length, failures);
    assert.match(xml, /name="drop-value:window is thirty days"/);
    assert.match(xml, /zu harden \S+ --model script --perturb banner-prefix --seed 0/);

    const md = reportMarkdown(report);
    assert.match(
      md,
      /\| resilience \(benign variants absorbed\) \| \*\*\d+\/\d+ \(\d+%, 95% CI \d+%–\d+%\)\*\* ✗ \|/,
      "the bad resilience is marked",
    );

    const html = reportHtml(report);
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<style>/);
    assert.doesNotMatch(html, /<script|<link|<img|src=|@import|url\(/i, "no external assets");
    assert.equal((html.match(/<tr class="/g) ?? []).length, report.variants.length);
    assert.ok(html.includes("drop-value:€3,50"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("live mode replays tools by arguments for a model built per variant", async () => {
  const dir = CLEAN;
  const bundle = await readBundle(`${dir}/fixtures/capture.json`);
  const script = await harden(dir, { workers: 0 });
  const live = await harden(dir, {
    workers: 0,
    mode: "live",
    provider: () => ScriptedProvider.fromMoves(bundle.moves as Record<string, unknown>[]),
  });
  assert.deepEqual(
    live.variants.map((v) => [v.name, v.passed, v.ok]),
    script.variants.map((v) => [v.name, v.passed, v.ok]),
  );
  assert.equal(live.mode, "live");
  assert.match(live.lines[0]!.text, /^zu harden: bookshop-clean \(live — calls the agent's model/);
});

Deno.test("harden reads an encrypted bundle with ZU_FIXTURE_KEY and refuses it without", async () => {
  const dir = await agentWithAllowlist();
  try {
    const env = { ZU_FIXTURE_KEY: "ab".repeat(32) };
    const plain = await readBundle(`${dir}/fixtures/capture.json`);
    await writeBundle(`${dir}/fixtures/capture.json`, plain, { env });
    const bytes = await Deno.readFile(`${dir}/fixtures/capture.json`);
    assert.equal(bytes[0], 2);
    const report = await harden(dir, { env, workers: 2 });
    assert.equal(report.bundle_hash, contentHash(plain));
    assert.equal(report.resilience, 1);
    assert.equal(report.timing.workers, 2);
    await assert.rejects(
      () => harden(dir, { workers: 0 }),
      (e: unknown) => e instanceof UserError && /encrypted and no key is set/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
