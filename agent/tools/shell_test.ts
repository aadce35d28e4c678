import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import type { RunContext, SessionCommand } from "../../core/types.ts";
import { FakeExecSession } from "../../testing/fake_exec_session.ts";
import { FakeSandboxBackend } from "../../testing/fake_sandbox_backend.ts";
import { builtinTools } from "./builtin_tools.ts";
import { RunCode } from "./run_code.ts";
import { closeRunWorkspaces, openWorkspaceRuns } from "./sandbox_exec.ts";
import { Shell } from "./shell.ts";

const ctx = (trace = "t-1") => ({ trace_id: trace }) as unknown as RunContext;
const opened = (session: FakeExecSession) => () => Promise.resolve(session);

Deno.test("shell and run_code are built-in tier-2 sandbox tools whose output is untrusted", () => {
  for (const name of ["shell", "run_code"]) {
    const tool = builtinTools().get(name)!({ timeout_ms: 5_000, image: "zu-runtime:dev" });
    equal(tool.name, name);
    equal(tool.tier, 2);
    deepStrictEqual([...tool.capabilities!], ["sandbox"]);
    equal(tool.untrusted, true);
    equal(tool.egress, undefined);
  }
  throws(
    () => builtinTools().get("shell")!({ allowed_domains: ["x"] }),
    /Cannot configure tool "shell": unknown argument "allowed_domains"/,
  );
  throws(() => builtinTools().get("run_code")!({ languages: ["ruby"] }), /Invalid languages/);
  const code = builtinTools().get("run_code")!({ languages: ["python"] });
  deepStrictEqual(
    (code.schema.parameters as { properties: { language: { enum: string[] } } }).properties
      .language.enum,
    ["python"],
  );
});

Deno.test("shell runs argv with cwd, env, timeout and the cap, and reports what the command did", async () => {
  const session = new FakeExecSession(() => ({ stdout: "a\n", stderr: "w\n", durationMs: 4.4 }));
  const tool = new Shell({ openSession: opened(session), maxOutputBytes: 4096 });
  const obs = await tool.call(ctx(), {
    argv: ["ls", "-l"],
    cwd: "/workspace",
    env: { LANG: "C" },
    timeout_ms: 1_500,
  });
  deepStrictEqual(obs, {
    exit_code: 0,
    stdout: "a\n",
    stderr: "w\n",
    truncated: false,
    timed_out: false,
    duration_ms: 4,
  });
  deepStrictEqual(session.commands, [{
    argv: ["ls", "-l"],
    cwd: "/workspace",
    env: { LANG: "C" },
    timeoutMs: 1_500,
    maxOutputBytes: 4096,
  }]);
  await tool.call(ctx(), { command: "echo $HOME | wc -c" });
  const second = session.commands[1] as SessionCommand | undefined;
  equal(second?.sh, "echo $HOME | wc -c");
  equal(second?.timeoutMs, 30_000);
});

Deno.test("shell reports a non-zero exit, a timeout and a truncated output as observations", async () => {
  const session = new FakeExecSession((cmd) => {
    if (cmd.argv?.[0] === "false") return { exitCode: 1, stderr: "no" };
    if (cmd.argv?.[0] === "sleep") return new Promise(() => {}); // never ends: the timeout kills it
    return { stdout: "x".repeat(100) };
  });
  const tool = new Shell({ openSession: opened(session), maxOutputBytes: 10 });
  const failed = await tool.call(ctx(), { argv: ["false"] });
  equal(failed.exit_code, 1);
  equal(failed.error, "command exited with code 1");
  const slow = await tool.call(ctx(), { argv: ["sleep", "9"], timeout_ms: 20 });
  equal(slow.timed_out, true);
  equal(slow.exit_code, null);
  equal(slow.signal, "SIGKILL");
  ok(String(slow.error).startsWith("command timed out after"));
  const big = await tool.call(ctx(), { argv: ["yes"] });
  equal(big.truncated, true);
  equal(big.stdout, "x".repeat(10));
  equal(big.error, undefined);
});

Deno.test("shell answers bad arguments and a lost session with an error observation", async () => {
  const session = new FakeExecSession();
  const tool = new Shell({ openSession: opened(session) });
  for (
    const [args, message] of [
      [{}, /"argv" \(a list\) or "command"/],
      [{ argv: [] }, /Invalid argument "argv"/],
      [{ argv: ["a", 1] }, /Invalid argument "argv"/],
      [{ argv: ["a"], command: "b" }, /not both/],
      [{ argv: ["a"], cwd: "rel" }, /Invalid argument "cwd"/],
      [{ argv: ["a"], env: { "A=B": "c" } }, /Invalid argument "env"/],
      [{ argv: ["a"], timeout_ms: 0 }, /Invalid argument "timeout_ms"/],
      [{ argv: ["a"], timeout_ms: 10_000_000 }, /Invalid argument "timeout_ms"/],
    ] as const
  ) {
    const obs = await tool.call(ctx(), args as Record<string, unknown>);
    equal(obs.failed, "invalid_args");
    ok(message.test(String(obs.error)), String(obs.error));
  }
  equal(session.commands.length, 0);
  session.lose("the agent died");
  const lost = await tool.call(ctx(), { argv: ["true"] });
  deepStrictEqual(lost, { error: "Error: SessionLost: the agent died", failed: "session" });
});

Deno.test("shell without a sandbox backend refuses with sandbox_required", async () => {
  const err = await rejects(new Shell().call(ctx(), { argv: ["true"] }), (e: unknown) => {
    ok(e instanceof UserError);
    equal((e as UserError).code, "sandbox_required");
    return true;
  });
  equal(err, undefined);
});

Deno.test("run_code runs deno, js or python by argv and refuses languages not offered", async () => {
  const session = new FakeExecSession(() => ({ stdout: "2\n" }));
  const tool = new RunCode({ openSession: opened(session), languages: ["deno", "js", "python"] });
  equal((await tool.call(ctx(), { language: "js", code: "console.log(1+1)" })).stdout, "2\n");
  await tool.call(ctx(), { language: "deno", code: "const n: number = 2; console.log(n)" });
  await tool.call(ctx(), { language: "python", code: "print(2)", timeout_ms: 900 });
  deepStrictEqual(session.commands.map((c) => c.argv), [
    ["deno", "eval", "--quiet", "--ext=js", "console.log(1+1)"],
    ["deno", "eval", "--quiet", "--ext=ts", "const n: number = 2; console.log(n)"],
    ["python3", "-c", "print(2)"],
  ]);
  equal(session.commands[2]?.timeoutMs, 900);
  const narrow = new RunCode({ openSession: opened(session) });
  const refused = await narrow.call(ctx(), { language: "python", code: "print(1)" });
  equal(refused.failed, "invalid_args");
  ok(String(refused.error).includes("use deno, js"));
  equal((await narrow.call(ctx(), { language: "js", code: "  " })).failed, "invalid_args");
  equal(session.commands.length, 3);
});

Deno.test("a run's shell and run_code share one network-less sandbox until the run closes it", async () => {
  const backend = new FakeSandboxBackend({
    onExec: (cmd) => ({ stdout: cmd.join(" "), exitCode: cmd[0] === "false" ? 3 : 0 }),
  });
  const shell = new Shell({ backend, image: "img:1" });
  const code = new RunCode({ backend, image: "img:1" });
  equal((await shell.call(ctx("run-a"), { argv: ["echo", "hi"] })).stdout, "echo hi");
  equal((await code.call(ctx("run-a"), { language: "js", code: "1" })).exit_code, 0);
  equal((await shell.call(ctx("run-a"), { argv: ["false"] })).exit_code, 3);
  await shell.call(ctx("run-b"), { argv: ["true"] });
  equal(backend.launched.length, 2);
  deepStrictEqual(backend.launched.map((s) => [s.image, s.network, s.runId]), [
    ["img:1", "none", "run-a"],
    ["img:1", "none", "run-b"],
  ]);
  equal(backend.launched[0]?.env?.["ZU_SANDBOXED"], "1");
  ok(openWorkspaceRuns().includes("run-a"));
  await closeRunWorkspaces("run-a");
  await closeRunWorkspaces("run-a");
  await closeRunWorkspaces("run-b");
  equal(backend.destroyed.length, 2);
  deepStrictEqual(openWorkspaceRuns(), []);
  // The plain-exec fallback has no cwd: refused as an observation, nothing launched anew.
  const obs = await shell.call(ctx("run-c"), { argv: ["pwd"], cwd: "/tmp" });
  equal(obs.failed, "session");
  await closeRunWorkspaces("run-c");
});
