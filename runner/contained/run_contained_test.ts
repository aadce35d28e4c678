import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { UserError, ZuError } from "../../core/errors.ts";
import { newEvent } from "../../core/events.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { FakeAgentLauncher } from "../../testing/fake_agent_launcher.ts";
import { OPENAI_ENDPOINT } from "../../agent/providers/openai_compatible.ts";
import { computeRunPermissions } from "../jail/permission_flags.ts";
import { runSandboxed, SANDBOX_AGENT_DIR, sandboxedPermissions } from "./run_contained.ts";

const AGENT = {
  agentDir: "/home/someone/shop",
  tools: [{ name: "http_fetch", egress: ["*"] }, {
    name: "probe",
    egress: ["api.shop.example:8443"],
  }],
  target: "https://shop.example/item",
  provider: { name: "openai", endpoint: OPENAI_ENDPOINT },
};

Deno.test("sandboxedPermissions grants the declared hosts and the model host, read on /agent only", () => {
  const p = sandboxedPermissions(AGENT);
  equal(SANDBOX_AGENT_DIR, "/agent");
  deepEqual(p.net, ["api.openai.com", "api.shop.example:8443", "shop.example"]);
  ok(
    p.flags.includes("--allow-net=api.openai.com,api.shop.example:8443,shop.example"),
    p.flags.join(" "),
  );
  ok(p.flags.includes("--allow-read=/agent"), p.flags.join(" "));
  ok(!p.flags.some((f) => f.includes("/home/someone")), "the host path never reaches the box");
  for (const k of ["ZU_SANDBOXED", "HTTPS_PROXY", "ZU_SANDBOX_NETWORK"]) ok(p.env.includes(k), k);
  ok(p.env.includes("OPENAI_API_KEY"));
  equal(p.flags[0], "--no-prompt");
  equal(p.flags[1], "--cached-only");
  ok(!p.flags.some((f) => /^--allow-(run|ffi|sys|write)/.test(f) || f === "-A"), p.flags.join(" "));
});

Deno.test("sandboxedPermissions keeps loopback and metadata denied but lets the proxy's private network through", () => {
  const p = sandboxedPermissions(AGENT);
  const host = computeRunPermissions(AGENT, { mode: "live" });
  const deny = p.flags.find((f) => f.startsWith("--deny-net="));
  equal(deny, `--deny-net=${p.denyNet.join(",")}`);
  for (
    const r of [
      "127.0.0.0/8",
      "169.254.0.0/16",
      "100.64.0.0/10",
      "0.0.0.0/8",
      "[::1]",
      "[fd00:ec2::254]",
    ]
  ) {
    ok(p.denyNet.includes(r), `${r} stays denied`);
  }
  for (const r of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]) {
    ok(host.denyNet.includes(r), `${r} is denied on the host`);
    ok(!p.denyNet.includes(r), `${r} is left to the proxy inside the box`);
    const why = p.explain.find((e) => e.flag === "--deny-net" && e.value === r)?.why ?? "";
    ok(why.includes("egress proxy"), why);
  }
});

Deno.test("sandboxedPermissions grants nothing to an agent that declares no host", () => {
  const p = sandboxedPermissions({ ...AGENT, provider: { name: "scripted" }, tools: [] });
  deepEqual(p.net, []);
  ok(!p.flags.some((f) => f.startsWith("--allow-net")), p.flags.join(" "));
  ok(p.flags.some((f) => f.startsWith("--deny-net=")), p.flags.join(" "));
});

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
    deepEqual(request.allowlist, run.perms.net);
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
