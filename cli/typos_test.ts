import { deepEqual, equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { VERSION } from "./version.ts";

async function agentWithTypos(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_typos_" });
  const io = captureIo({ cwd: dir });
  equal(await main(["init", "a"], io), 0, io.stderrText());
  const file = `${dir}/a/agent.yaml`;
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, `${text}\nbudgt:\n  max_steps: 3\ncolour: blue\n`);
  return dir;
}

Deno.test("an unknown agent.yaml key prints one warning line with the closest known key", async () => {
  const dir = await agentWithTypos();
  try {
    const io = captureIo({ cwd: dir });
    equal(await main(["explain-permissions", "a"], io), 0, io.stderrText());
    const lines = io.stderrText().trimEnd().split("\n").filter((l) => l.startsWith("warning:"));
    equal(lines.length, 2, io.stderrText());
    match(lines[0]!, /key "budgt" is not a known key \(ignored\) \(did you mean "budget"\?\)$/);
    match(lines[1]!, /key "colour" is not a known key \(ignored\)$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--json carries the agent file's warnings as a warnings array", async () => {
  const dir = await agentWithTypos();
  try {
    const io = captureIo({ cwd: dir });
    equal(await main(["explain-permissions", "a", "--json"], io), 0, io.stderrText());
    const out = JSON.parse(io.stdoutText()) as { warnings: string[] };
    equal(out.warnings.length, 2);
    match(out.warnings[0]!, /did you mean "budget"/);
    const clean = captureIo({ cwd: dir });
    equal(await main(["init", "b"], clean), 0);
    const io2 = captureIo({ cwd: dir });
    equal(await main(["explain-permissions", "b", "--json"], io2), 0, io2.stderrText());
    deepEqual((JSON.parse(io2.stdoutText()) as { warnings: string[] }).warnings, []);
    equal(io2.stderrText(), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a misspelled command gets a did-you-mean, one line and exit 2", async () => {
  const io = captureIo();
  equal(await main(["rnu"], io), 2);
  equal(
    io.stderrText(),
    'error: unknown command "rnu" for "zu" (did you mean "run"?); see "zu --help"\n',
  );
  const sub = captureIo();
  equal(await main(["events", "lsit"], sub), 2);
  match(
    sub.stderrText(),
    /^error: unknown command "lsit" for "zu events" \(did you mean "list"\?\)/,
  );
  const far = captureIo();
  equal(await main(["frobnicate"], far), 2);
  ok(!far.stderrText().includes("did you mean"), far.stderrText());
});

Deno.test("a misspelled flag gets a did-you-mean, one line and exit 2", async () => {
  const io = captureIo();
  equal(await main(["run", "--jsno"], io), 2);
  equal(
    io.stderrText(),
    'error: unknown flag "--jsno" for "zu run" (did you mean "--json"?); see "zu run --help"\n',
  );
  const early = captureIo();
  equal(await main(["--jsno"], early), 2);
  equal(
    early.stderrText(),
    'error: unknown flag "--jsno" for "zu" (did you mean "zu <command> --json"?); see "zu --help"\n',
  );
  const before = captureIo();
  equal(await main(["--json", "run"], before), 2);
  match(
    before.stderrText(),
    /^error: flag "--json" goes after the command \("zu <command> --json"\)/,
  );
  const root = captureIo();
  equal(await main(["--versoin"], root), 2);
  match(root.stderrText(), /did you mean "--version"\?/);
  equal(root.stderrText().split("\n").length, 2);
});

Deno.test("zu --version and -V print the version and exit 0", async () => {
  for (const flag of ["--version", "-V"]) {
    const io = captureIo();
    equal(await main([flag], io), 0);
    equal(io.stdoutText(), `zu ${VERSION}\n`);
    equal(io.stderrText(), "");
  }
  const help = captureIo();
  equal(await main(["--help"], help), 0);
  match(help.stdoutText(), /-V, --version\s+Show the version/);
});
