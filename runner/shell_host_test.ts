import { deepEqual, equal, ok } from "node:assert/strict";
import type { ToolCallMessage, ToolResultMessage } from "./jail/protocol.ts";
import type { SandboxBackend } from "../core/types.ts";
import { loadAgent } from "../cli/_agent.ts";
import { captureIo } from "../cli/_io.ts";
import { FakeSandboxBackend } from "../testing/fake_sandbox_backend.ts";
import { HostToolExecutor } from "./host_tools.ts";
import { permissionsFor, runJailed } from "./jailed.ts";

const YAML = `provider:
  name: scripted
  script:
    - tool: shell
      args: { argv: [wc, -l, data.csv] }
    - tool: run_code
      args: { language: js, code: "console.log(6 * 7)" }
    - text: '{"answer": "done"}'
tiers:
  1:
    - shell
    - ref: run_code
      args: { image: "zu-code:test" }
plugins:
  detectors: [exec-failure]
  validators: []
task:
  query: Count the lines
  max_tier: 1
`;

async function withAgent<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "zu_shell_host_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, YAML);
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const call = (id: number, tool: string, args: Record<string, unknown>): ToolCallMessage => ({
  zu_jail: "tool_call",
  id,
  tool,
  args,
  trace_id: "trace-shell",
});

Deno.test("A jailed run forwards shell and run_code to the host and gets their observations back", async () => {
  await withAgent(async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const { perms } = await permissionsFor(io, agent, { mode: "live" });
    const calls: ToolCallMessage[] = [];
    const run = await runJailed(io, agent, {
      mode: "live",
      perms,
      sink: null,
      childOptions: { track: false },
      onToolCall: (c): Promise<ToolResultMessage> => {
        calls.push(c);
        return Promise.resolve({
          zu_jail: "tool_result",
          id: c.id,
          observation: {
            exit_code: 0,
            stdout: c.tool === "shell" ? "42 data.csv\n" : "42\n",
            stderr: "",
            truncated: false,
            timed_out: false,
            duration_ms: 3,
          },
        });
      },
    });
    const result = run.result["result"] as { status: string };
    equal(result.status, "success", JSON.stringify(run.outcome.stderr));
    deepEqual(calls.map((c) => c.tool), ["shell", "run_code"]);
    deepEqual(calls[0]!.args, { argv: ["wc", "-l", "data.csv"] });
    const returned = run.events.filter((e) => e.type === "harness.tool.returned")
      .map((e) => (e.payload as { observation: Record<string, unknown> }).observation);
    equal(returned[0]?.["stdout"], "42 data.csv\n");
    equal(returned[1]?.["stdout"], "42\n");
  });
});

Deno.test("The host executor runs shell and run_code in one sandbox per run and removes it at close", async () => {
  await withAgent(async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const backend = new FakeSandboxBackend({
      onExec: (cmd) => ({ stdout: `${cmd.join(" ")}\n`, exitCode: cmd[0] === "false" ? 1 : 0 }),
    });
    const checked: string[][] = [];
    const host = new HostToolExecutor(agent.config, {
      env: (name) => (name === "ZU_EXEC_IMAGE" ? "zu-shell:test" : undefined),
      backend: backend as SandboxBackend,
      preflight: (images) => {
        checked.push([...images].sort());
        return Promise.resolve(null);
      },
    });
    try {
      const a = await host.call(call(1, "shell", { argv: ["echo", "hi"] }));
      equal(a.observation?.["stdout"], "echo hi\n", JSON.stringify(a));
      equal(a.observation?.["exit_code"], 0);
      const b = await host.call(call(2, "shell", { argv: ["false"] }));
      equal(b.observation?.["exit_code"], 1);
      const c = await host.call(call(3, "run_code", { language: "js", code: "1" }));
      equal(c.observation?.["exit_code"], 0);
      // The host re-checks the arguments: a child that skipped them gets an error observation.
      const bad = await host.call(call(4, "shell", { argv: "rm -rf /" }));
      equal(bad.observation?.["failed"], "invalid_args");
      // One sandbox per image for the run, launched with no network, on the configured images.
      deepEqual(backend.launched.map((s) => [s.image, s.network, s.runId]), [
        ["zu-shell:test", "none", "trace-shell"],
        ["zu-code:test", "none", "trace-shell"],
      ]);
      ok(checked[0]!.includes("zu-shell:test") && checked[0]!.includes("zu-code:test"));
    } finally {
      await host.close();
    }
    equal(backend.destroyed.length, 2);
    equal(backend.live(), 0);
  });
});
