import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { UserError, ZuError } from "../../core/errors.ts";
import { newEvent } from "../../core/events.ts";
import { OPENAI_ENDPOINT } from "../../agent/providers/openai_compatible.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { FakeAgentLauncher } from "../../testing/fake_agent_launcher.ts";
import { runSandboxed, SANDBOX_AGENT_DIR } from "./run_contained.ts";

// runSandboxed over a fake AgentLauncher: everything but Docker (staging, flags, the child's
// answer checked at the boundary, errors, the proxy's decisions recorded on the task).

const AGENT = {
  tools: [{ name: "http_fetch", egress: ["*"] }],
  target: "https://shop.example/item",
  provider: { name: "openai", endpoint: OPENAI_ENDPOINT },
};

async function withAgentDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_contained_" });
  await Deno.writeTextFile(`${dir}/agent.yaml`, "provider: {name: scripted}\n");
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LIVE_ANSWER = {
  result: { status: "success", value: { price: "$249.00" }, reason: null },
  task: "price?",
  task_id: "t-1",
  model: null,
  replayed_track: false,
};

Deno.test("a contained run answers the child's result typed and records the proxy's decisions on the task", async () => {
  await withAgentDir(async (dir) => {
    const sink = new MemorySink();
    let fake: FakeAgentLauncher | null = null;
    const run = await runSandboxed(dir, {
      sink,
      timeoutMs: 60_000,
      jail: { ...AGENT, agentDir: dir },
      env: () => undefined,
      launcher: (wiring) =>
        fake = new FakeAgentLauncher(wiring, {
          lines: [
            {
              zu_jail: "event",
              event: newEvent({ task_id: "t-1", type: "harness.task.started" }),
            },
            { zu_jail: "result", result: LIVE_ANSWER },
          ],
          decisions: [{ event: "proxy.decision", host: "shop.example", port: 443, allowed: true }],
        }),
    });
    equal(run.result.result.status, "success");
    equal(run.result.task_id, "t-1");
    const request = fake!.requests[0]!;
    // The provider is reached through the broker by default: its name is forwarded, not allowed.
    deepEqual(request.allowlist, run.perms.net.filter((e) => !e.startsWith("zu-vault:")));
    ok(run.perms.net.includes("zu-vault:80"));
    ok(request.command.includes("/opt/zu/runner/jail/jail_entry.ts"), request.command.join(" "));
    ok(request.binds?.some((b) => b.endsWith(`:${SANDBOX_AGENT_DIR}`)));
    deepEqual(run.events.map((e) => e.type), ["harness.task.started", "harness.egress.observed"]);
    equal(run.events[1]!.task_id, "t-1");
    equal(await sink.count(), 2);
  });
});

Deno.test("a contained run turns the child's user error into a UserError and a silent kill into sandbox_timeout", async () => {
  await withAgentDir(async (dir) => {
    const base = { sink: new MemorySink(), timeoutMs: 1000, jail: { ...AGENT, agentDir: dir } };
    await rejects(
      runSandboxed(dir, {
        ...base,
        launcher: (w) =>
          new FakeAgentLauncher(w, {
            lines: [{ zu_jail: "error", code: "config_invalid", user: true, message: "bad key" }],
            exitCode: 2,
          }),
      }),
      (e: unknown) => e instanceof UserError && e.code === "config_invalid",
    );
    await rejects(
      runSandboxed(dir, {
        ...base,
        launcher: (w) => new FakeAgentLauncher(w, { exitCode: 137, timedOut: true }),
      }),
      (e: unknown) => e instanceof ZuError && e.code === "sandbox_timeout",
    );
    await rejects(
      runSandboxed(dir, {
        ...base,
        launcher: (w) =>
          new FakeAgentLauncher(w, {
            lines: [{ zu_jail: "result", result: { ...LIVE_ANSWER, task: 7 } }],
          }),
      }),
      /Cannot read the jailed child's live result: "task" is not a string/,
    );
  });
});

Deno.test("a contained run whose model call the proxy refused names the proxy's decision in its error", async () => {
  await withAgentDir(async (dir) => {
    const err = await runSandboxed(dir, {
      sink: new MemorySink(),
      timeoutMs: 1000,
      jail: { ...AGENT, agentDir: dir },
      env: () => undefined,
      launcher: (w) =>
        new FakeAgentLauncher(w, {
          lines: [{
            zu_jail: "error",
            code: "network_policy",
            user: true,
            message:
              `Cannot complete with openai-compatible model "m": the sandbox's egress proxy refused "api.openai.com:443", the API was never reached`,
          }],
          decisions: [{
            event: "proxy.decision",
            host: "api.openai.com",
            port: 443,
            allowed: false,
            reason: "blocked_resolution",
          }],
          exitCode: 2,
        }),
    }).then(() => null, (e) => e);
    ok(err instanceof UserError && err.code === "network_policy", String(err));
    ok(
      err.message.endsWith(`the egress proxy refused "api.openai.com:443" (blocked_resolution)`),
      err.message,
    );
  });
});

Deno.test("a contained run whose container dies without a result ends its log with a terminal event saying so", async () => {
  await withAgentDir(async (dir) => {
    const sink = new MemorySink();
    const err = await runSandboxed(dir, {
      sink,
      timeoutMs: 1000,
      jail: { ...AGENT, agentDir: dir },
      env: () => undefined,
      launcher: (w) =>
        new FakeAgentLauncher(w, {
          lines: [{
            zu_jail: "event",
            event: newEvent({ task_id: "t-9", type: "harness.task.started" }),
          }],
          exitCode: 137,
        }),
    }).then(() => null, (e) => e);
    ok(err instanceof ZuError && err.code === "sandbox_dead", String(err));
    ok(err.message.includes("exited with code 137 and no result"), err.message);
    const events = await sink.query();
    equal(events.at(-1)?.type, "harness.task.terminal");
    equal(events.at(-1)?.payload.reason, "error:sandbox_dead");
  });
});
