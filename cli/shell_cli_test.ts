import { equal, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const AGENT = `provider:
  name: scripted
tiers:
  1:
    - shell
plugins:
  detectors: [exec-failure]
  validators: [schema]
task:
  query: Count the lines of data.csv. Return JSON {"lines"}.
  max_tier: 1
  output_schema:
    type: object
    properties: { lines: { type: string } }
    required: [lines]
`;

// A capture of one shell call (what `zu capture` writes for a shell-using agent).
const CAPTURE = {
  task: 'Count the lines of data.csv. Return JSON {"lines"}.',
  model: "recorded-model",
  moves: [
    { tool: "shell", args: { argv: ["wc", "-l", "data.csv"] } },
    { text: '{"lines": "42"}', finish: "stop" },
  ],
  observations: {
    shell: [{
      exit_code: 0,
      stdout: "42 data.csv\n",
      stderr: "",
      truncated: false,
      timed_out: false,
      duration_ms: 2,
    }],
  },
};

async function withAgent(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_shell_cli_" });
  try {
    await Deno.mkdir(`${dir}/shell-agent/fixtures`, { recursive: true });
    await Deno.writeTextFile(`${dir}/shell-agent/agent.yaml`, AGENT);
    await Deno.writeTextFile(
      `${dir}/shell-agent/fixtures/capture.json`,
      JSON.stringify(CAPTURE, null, 2),
    );
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu replay serves a captured shell call from its fixture double, with no Docker", async () => {
  await withAgent(async (dir) => {
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    equal(await main(["replay", "shell-agent"], io), 0, io.stderrText());
    ok(io.stdoutText().includes("42"), io.stdoutText());
  });
});

Deno.test("zu harden perturbs a shell agent's command output and passes when it detects the faults", async () => {
  await withAgent(async (dir) => {
    const io = captureIo({ cwd: dir });
    const perturb = "exec-nonzero-exit,exec-timeout,exec-truncated-output,exec-inject-output";
    const code = await main(["harden", "shell-agent", "--perturb", perturb], io);
    equal(code, 0, io.stdoutText() + io.stderrText());
    for (const name of perturb.split(",")) ok(io.stdoutText().includes(name), name);
  });
});
