import { deepEqual, equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

Deno.test("zu harden runs only the named perturbations and writes each report format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_" });
  try {
    equal(await main(["init", "a"], captureIo({ cwd: dir })), 0);
    const io = captureIo({ cwd: dir });
    const code = await main(
      [
        "harden",
        "a",
        "--perturb",
        "banner-prefix+promo-suffix,inject-visible-text",
        "--model",
        "hijacked",
        "--json",
        "--report",
        "out/r.json",
      ],
      io,
    );
    equal(code, 0, io.stderrText());
    const report = JSON.parse(io.stdoutText());
    equal(report.mode, "hijacked");
    const names = report.variants.map((v: { name: string }) => v.name);
    ok(names.includes("banner-prefix+promo-suffix"), names.join());
    ok(names.includes("inject-visible-text"));
    ok(!names.includes("http-5xx"), "ran a perturbation that was not asked for");
    deepEqual(
      JSON.parse(await Deno.readTextFile(`${dir}/out/r.json`)).variants.length,
      report.variants.length,
    );
    for (
      const [ext, re] of [["md", /^#|\|/m], ["xml", /<testsuite/], ["html", /<html/i]] as const
    ) {
      const r = captureIo({ cwd: dir });
      equal(
        await main(["harden", "a", "--perturb", "banner-prefix", "--report", `out/r.${ext}`], r),
        0,
        r.stderrText(),
      );
      match(await Deno.readTextFile(`${dir}/out/r.${ext}`), re);
      match(r.stdoutText(), /resilience: 100%/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const testAgent = (name: string): string =>
  new URL(`../harness/testdata/agents/${name}`, import.meta.url).pathname;
const WEAK = testAgent("bookshop-weak");
const CLEAN = testAgent("bookshop-clean");
const SPLIT = testAgent("bookshop-split");

/** Splits a POSIX shell command line (plain words and '…' quotes; `#` starts a comment). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in "${line}"`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "#" && word === null) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The variant lines (`  ok name: …` / `  !! name: …`) zu harden printed on stdout. */
function variantLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^ {2}(ok|!!) /.test(l));
}

Deno.test("zu harden exits 1 for a weak agent and lists each failing variant with why and what to change", async () => {
  const io = captureIo();
  const code = await main(["harden", WEAK], io);
  equal(code, 1, io.stderrText());
  const err = io.stderrText();
  match(io.stdoutText(), /resilience: 100% of cosmetic perturbations absorbed/);
  match(err, /harden: 9 variant\(s\) missed their expectation — not safe to promote/);
  match(err, /failing variants:\n {2}!! drop-value:Librería Ñandú: passed \(expected fail\)\n/);
  match(err, / {2}!! http-5xx: passed \(expected fail\)\n {5}why: .+\n {5}change: .*detectors/);
  match(
    err,
    /verdict: FAILED: 9 of 26 variants missed their expectation: .*stale-data \(exit 1\)\n$/,
  );
  ok(!/resilient enough to promote/.test(io.stdoutText()));
});

Deno.test("zu harden's exit code and its HTML, Markdown, JUnit and JSON reports agree on the verdict", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_formats_" });
  try {
    for (const [agent, exit] of [[WEAK, 1], [CLEAN, 0]] as const) {
      const codes: number[] = [];
      for (const ext of ["html", "md", "xml", "json"]) {
        const io = captureIo({ cwd: dir });
        codes.push(await main(["harden", agent, "--report", `r.${ext}`], io));
      }
      deepEqual(codes, [exit, exit, exit, exit]);
      const passed = exit === 0;
      const read = (ext: string) => Deno.readTextFile(`${dir}/r.${ext}`);
      equal(
        (await read("html")).includes(`<section class="verdict ${passed ? "pass" : "fail"}">`),
        true,
      );
      equal((await read("md")).includes(passed ? "**✅ PASSED**" : "**❌ FAILED**"), true);
      const failures = Number((await read("xml")).match(/<testsuite [^>]*failures="(\d+)"/)![1]);
      equal(failures, passed ? 0 : 9);
      const json = JSON.parse(await read("json"));
      deepEqual([json.exit_code, json.verdict.passed], [exit, passed]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the repro command zu harden prints runs as printed and replays exactly that variant", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_repro_" });
  try {
    // A bundle outside the agent, at a path a shell must quote: the repro names it with --bundle.
    const bundle = `${dir}/my capture, v1.json`;
    await Deno.copyFile(`${SPLIT}/fixtures/capture.json`, bundle);
    const io = captureIo({ cwd: dir });
    equal(await main(["harden", SPLIT, "--bundle", bundle, "--seed", "7"], io), 1);
    const repros = io.stderrText().split("\n").filter((l) => l.startsWith("     repro: "))
      .map((l) => l.slice("     repro: ".length));
    ok(repros.length >= 3, io.stderrText());
    const repro = repros.find((r) => r.includes("drop-value:window is thirty days"))!;
    ok(repro, repros.join("\n"));
    const words = shellWords(repro);
    equal(words[0], "zu");
    ok(repro.includes(" --seed 7"), repro);
    deepEqual(words.slice(words.indexOf("--bundle"), words.indexOf("--bundle") + 2), [
      "--bundle",
      bundle,
    ]);
    const run = captureIo({ cwd: dir });
    equal(await main(words.slice(1), run), 1, run.stderrText());
    deepEqual(variantLines(run.stdoutText()), [
      "  !! drop-value:window is thirty days: passed (expected fail)",
    ]);
    match(run.stderrText(), /verdict: FAILED: 1 of 1 variants missed/);

    // A value with a comma stays one spec (the list flag splits on commas).
    const comma = captureIo({ cwd: dir });
    equal(
      await main(shellWords(`zu harden ${SPLIT} --perturb 'drop-value:€3,50'`).slice(1), comma),
      0,
    );
    deepEqual(variantLines(comma.stdoutText()), ["  ok drop-value:€3,50: failed (expected fail)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('zu harden stops with "baseline failed" and exit 1 when the unperturbed capture does not succeed', async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_baseline_" });
  try {
    await Deno.mkdir(`${dir}/a/fixtures`, { recursive: true });
    await Deno.copyFile(`${CLEAN}/agent.yaml`, `${dir}/a/agent.yaml`);
    const bundle = JSON.parse(await Deno.readTextFile(`${CLEAN}/fixtures/capture.json`));
    bundle.moves[bundle.moves.length - 1].text = '{"name": "Librería Ñandú"}';
    await Deno.writeTextFile(`${dir}/a/fixtures/capture.json`, JSON.stringify(bundle));
    const io = captureIo({ cwd: dir });
    equal(await main(["harden", "a"], io), 1);
    match(io.stderrText(), /^harden: baseline failed: terminal \(.+\) — .*no variant was run/m);
    deepEqual(variantLines(io.stdoutText()), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
