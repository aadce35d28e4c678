import { equal, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const PLUGINS = fileURLToPath(new URL("./testdata/bad_plugins/", import.meta.url));

/** An agent directory whose one tool is `ref` (a module path into a copy of bad_plugins/). */
async function agentUsing(ref: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_bad_plugin_" });
  for (const entry of Deno.readDirSync(PLUGINS)) {
    if (entry.name.endsWith(".ts")) {
      await Deno.copyFile(`${PLUGINS}${entry.name}`, `${dir}/${entry.name}`);
    }
  }
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    `provider:
  name: scripted
  script:
    - tool: bad_tool
      args: {}
    - text: '{"ok": "yes"}'
plugins:
  tools: ["${ref}"]
  validators: []
task:
  query: q
`,
  );
  return dir;
}

function assertOneLine(stderr: string, what: string): void {
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  equal(errors.length, 1, `${what}: ${stderr}`);
  ok(!stderr.includes("    at "), `${what} printed a stack: ${stderr}`);
  ok(!stderr.includes("internal error"), `${what} was reported as a bug: ${stderr}`);
}

Deno.test("a plugin that exits, closes, aborts, starts a permissioned Worker or throws a non-Error at load is one line and exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["./plugins.ts#ExitAtBuild", /cannot be built: a plugin called Deno\.exit\(3\)/],
    ["./plugins.ts#ProcessExitAtBuild", /cannot be built: a plugin called process\.exit\(4\)/],
    ["./exit_on_import.ts#Never", /failed to load: a plugin called Deno\.exit\(6\)/],
    ["./plugins.ts#CloseAtBuild", /cannot be built: a plugin called close\(\)/],
    ["./plugins.ts#AbortAtBuild", /cannot be built: a plugin called process\.abort\(\)/],
    ["./plugins.ts#WorkerAtBuild", /a plugin started a Worker with its own permissions/],
    ["./plugins.ts#ThrowsString", /a non-Error value was thrown: "boom"/],
    ["./plugins.ts#ThrowsObject", /a non-Error value was thrown: \{"code":7\}/],
    ["./plugins.ts#ThrowsUndefined", /a non-Error value was thrown: undefined/],
    [
      "./throw_on_import.ts#Never",
      /failed to load: a non-Error value was thrown: \{"not":"an error"\}/,
    ],
  ];
  for (const [ref, re] of cases) {
    const dir = await agentUsing(ref);
    try {
      const io = captureIo({ cwd: dir });
      equal(await main(["explain-permissions", "."], io), 2, `${ref}: ${io.stderrText()}`);
      match(io.stderrText(), re);
      match(io.stderrText(), /^error: Cannot load agent ".*agent\.yaml": plugins\.tools\[0\] /);
      assertOneLine(io.stderrText(), ref);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

async function terminalOf(dir: string): Promise<Record<string, unknown> | null> {
  const io = captureIo({ cwd: dir });
  equal(await main(["events", "list", "--db", "events.db", "--json"], io), 0, io.stderrText());
  const events = JSON.parse(io.stdoutText()) as {
    type: string;
    payload: Record<string, unknown>;
  }[];
  return events.findLast((e) => e.type === "harness.task.terminal")?.payload ?? null;
}

Deno.test("a tool that calls Deno.exit, close() or Deno.kill on zu, or starts a permissioned Worker, during zu run ends the run: a terminal event and exit 1", async () => {
  const cases: [string, RegExp][] = [
    ["./plugins.ts#ExitAtCall", /Tool "bad_tool" stopped the run: a plugin called Deno\.exit\(5\)/],
    ["./plugins.ts#WorkerAtCall", /Tool "bad_tool" stopped the run: a plugin started a Worker/],
    [
      "./plugins.ts#KillSelfAtCall",
      /Tool "bad_tool" stopped the run: a plugin called Deno\.kill\(\d+\)/,
    ],
    ["./plugins.ts#CloseAtCall", /Tool "bad_tool" stopped the run: a plugin called close\(\)/],
  ];
  for (const [ref, re] of cases) {
    const dir = await agentUsing(ref);
    try {
      const io = captureIo({ cwd: dir });
      equal(await main(["run", ".", "--db", "events.db"], io), 1, `${ref}: ${io.stderrText()}`);
      match(io.stderrText(), re);
      assertOneLine(io.stderrText(), ref);
      const terminal = await terminalOf(dir);
      ok(terminal, `${ref}: no terminal event`);
      equal(terminal.reason, "error:plugin_escape");
      match(String(terminal.error), re);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a tool that throws a non-Error or whose worker dies during zu run never shows a stack", async () => {
  for (const ref of ["./plugins.ts#ThrowsObjectAtCall", "./plugins.ts#CrashingWorkerAtCall"]) {
    const dir = await agentUsing(ref);
    try {
      const io = captureIo({ cwd: dir });
      const code = await main(["run", ".", "--db", "events.db"], io);
      ok(code === 0 || code === 1, `${ref}: exit ${code}: ${io.stderrText()}`);
      ok(!io.stderrText().includes("    at "), `${ref}: ${io.stderrText()}`);
      ok(io.stderrText().split("\n").filter((l) => l.startsWith("error:")).length <= 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a tool that calls Deno.exit during in-process zu harden ends harden with exit 1, not the plugin's code", async () => {
  const dir = await agentUsing("./plugins.ts#ExitAtCall");
  try {
    await Deno.mkdir(`${dir}/fixtures`);
    await Deno.writeTextFile(
      `${dir}/fixtures/capture.json`,
      JSON.stringify({
        task: "q",
        model: null,
        moves: [{ tool: "bad_tool", args: {} }, { text: '{"ok": "yes"}', finish: "stop" }],
        observations: {},
      }),
    );
    const io = captureIo({ cwd: dir });
    equal(await main(["harden", "."], io), 1, io.stderrText());
    match(io.stderrText(), /a plugin called Deno\.exit\(5\)/);
    assertOneLine(io.stderrText(), "harden");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
