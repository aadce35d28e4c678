import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { ToolCallMessage, ToolResultMessage } from "./jail/protocol.ts";
import type { Event } from "../core/events.ts";
import type { ExecResult, SandboxBackend, SandboxHandle } from "../core/types.ts";
import type { BrowserEgress, EgressLease } from "../core/types.ts";
import { loadAgent } from "../cli/_agent.ts";
import { dockerPreflight, HostToolExecutor } from "./host_tools.ts";
import { captureIo } from "../cli/_io.ts";
import { permissionsFor, runJailed } from "./jailed.ts";

function agentYaml(
  moves: string,
  toolArgs = "{ allowed_domains: [shop.test, blocked.test, inner.test] }",
): string {
  return `provider:
  name: scripted
  script:
${moves}
    - text: '{"answer": "done"}'
tiers:
  1:
    - ref: render_dom
      args: ${toolArgs}
plugins:
  detectors: []
  validators: []
task:
  query: Read the price
  max_tier: 1
`;
}

const MOVES = `    - tool: render_dom
      args: { url: "http://shop.test/app" }
    - tool: render_dom
      args: { url: "http://inner.test/" }
    - tool: render_dom
      args: { url: "http://other.test/" }
    - tool: render_dom
      args: { url: "http://shop.test/app", actions: [{ bogus: 1 }] }
    - tool: render_dom
      args: { url: "http://blocked.test/" }`;

async function withAgent<T>(yaml: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "zu_host_tools_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("A jailed render_dom call is checked in the child, forwarded to the host and answered on stdin", async () => {
  await withAgent(agentYaml(MOVES), async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const { perms } = await permissionsFor(io, agent, { mode: "live" });
    const calls: ToolCallMessage[] = [];
    const run = await runJailed(io, agent, {
      mode: "live",
      perms,
      // the child resolves only through these pinned answers (documentation-free global addresses)
      dns: {
        "shop.test": ["93.184.216.34"],
        "blocked.test": ["93.184.216.35"],
        "inner.test": ["10.0.0.5"],
      },
      sink: null,
      childOptions: { track: false },
      onToolCall: (call): Promise<ToolResultMessage> => {
        calls.push(call);
        if (String(call.args["url"]).includes("blocked.test")) {
          return Promise.resolve({
            zu_jail: "tool_result",
            id: call.id,
            error: {
              name: "SecurityBlock",
              code: "security_block",
              kind: "ssrf",
              target: "blocked.test",
              message: 'Cannot render "http://blocked.test/": the host refused it',
            },
          });
        }
        return Promise.resolve({
          zu_jail: "tool_result",
          id: call.id,
          observation: { status: 200, html: "<p>Price: $42.00</p>", text: "Price: $42.00" },
        });
      },
    });
    const result = run.result["result"] as { status: string };
    equal(result.status, "success", JSON.stringify(run.outcome.stderr));
    // Only the two calls that passed the child's own checks reached the host.
    deepEqual(calls.map((c) => c.args["url"]), ["http://shop.test/app", "http://blocked.test/"]);
    equal(calls[0]!.tool, "render_dom");
    ok(calls[0]!.trace_id.length > 0);
    ok(calls[0]!.id !== calls[1]!.id);
    const observations = run.events.filter((e: Event) => e.type === "harness.tool.returned")
      .map((e) => JSON.stringify(e.payload));
    ok(observations[0]!.includes('"status":200,"html_len":20,"text_len":13'), observations[0]);
    ok(observations.some((o) => o.includes("invalid_action")), observations.join("\n"));
    const blocked = run.events.filter((e) => e.type === "harness.defense.blocked")
      .map((e) => e.payload as Record<string, unknown>);
    // inner.test resolves to a private address: the child's SSRF guard refuses it, other.test is
    // off the allowlist, and blocked.test was refused by the host (the block survives the trip).
    deepEqual(blocked.map((b) => b["kind"]), ["ssrf", "off_allowlist", "ssrf"]);
    deepEqual(blocked.map((b) => b["target"]), ["inner.test", "other.test", "blocked.test"]);
  });
});

Deno.test("Without a host executor a forwarded call fails with one line instead of hanging", async () => {
  const moves = `    - tool: render_dom
      args: { url: "http://shop.test/app" }`;
  await withAgent(agentYaml(moves, "{}"), async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const { perms } = await permissionsFor(io, agent, { mode: "live" });
    const run = await runJailed(io, agent, {
      mode: "live",
      perms,
      dns: { "shop.test": ["93.184.216.34"] },
      sink: null,
      childOptions: { track: false },
    });
    const text = run.events.map((e) => JSON.stringify(e.payload)).join("\n");
    match(text, /host closed the channel before answering/);
  });
});

class FakeBackend {
  readonly name = "fake";
  launched: string[] = [];
  destroyed = 0;
  launch(spec: { image: string }): Promise<SandboxHandle> {
    this.launched.push(spec.image);
    return Promise.resolve({ id: "box1" } as unknown as SandboxHandle);
  }
  exec(): Promise<Record<string, unknown>> {
    throw new Error("not used");
  }
  execEntrypoint(_h: SandboxHandle, argv: string[]): Promise<ExecResult> {
    const obs = { status: 200, html: "<p>ok</p>", url: argv[1], text: "Price: $42.00" };
    return Promise.resolve(
      { exitCode: 0, stdout: JSON.stringify(obs), stderr: "", timedOut: false } as ExecResult,
    );
  }
  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

class FakeEgress implements BrowserEgress {
  hosts: string[] = [];
  open(request: { host: string; addresses: string[] }): Promise<EgressLease> {
    this.hosts.push(`${request.host}=${request.addresses.join(",")}`);
    const close = () => Promise.resolve();
    return Promise.resolve({
      proxy: "http://10.9.9.9:8080",
      networkName: "zu-fake",
      decisions: () => Promise.resolve([]),
      close,
      [Symbol.asyncDispose]: close,
    });
  }
}

const call = (id: number, tool: string, args: Record<string, unknown>): ToolCallMessage => ({
  zu_jail: "tool_call",
  id,
  tool,
  args,
  trace_id: "trace-1",
});

Deno.test("The host executor re-checks the target, runs the real tool and refuses unoffered tools", async () => {
  await withAgent(agentYaml(MOVES), async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const backend = new FakeBackend();
    const egress = new FakeEgress();
    const host = new HostToolExecutor(agent.config, {
      env: () => undefined,
      backend: backend as unknown as SandboxBackend,
      egress,
      resolver: (h) => Promise.resolve(h === "shop.test" ? ["93.184.216.34"] : ["10.0.0.7"]),
      preflight: () => Promise.resolve(null),
    });
    try {
      const ok1 = await host.call(call(1, "render_dom", { url: "http://shop.test/app" }));
      equal(ok1.id, 1);
      equal(ok1.observation?.["text"], "Price: $42.00", JSON.stringify(ok1));
      equal(ok1.observation?.["rendered"], true);
      deepEqual(egress.hosts, ["shop.test=93.184.216.34"]);
      equal(backend.destroyed, 1);
      // A child that skipped its checks gets nothing: the host refuses on its own.
      const off = await host.call(call(2, "render_dom", { url: "http://evil.test/" }));
      equal(off.error?.kind, "off_allowlist");
      const ssrf = await host.call(call(3, "render_dom", { url: "http://blocked.test/" }));
      equal(ssrf.error?.kind, "ssrf");
      equal(ssrf.error?.name, "SecurityBlock");
      const loop = await host.call(call(4, "render_dom", { url: "http://127.0.0.1/" }));
      equal(loop.error?.kind, "off_allowlist");
      const other = await host.call(call(5, "http_fetch", { url: "http://shop.test/" }));
      equal(other.error?.code, "tool_not_offered");
      const browser = await host.call(call(6, "browser", { op: "read" }));
      equal(browser.error?.code, "tool_not_offered");
      equal(backend.launched.length, 1);
    } finally {
      await host.close();
    }
  });
});

Deno.test("Without Docker the host answers each tier-2 call with a one-line error observation", async () => {
  await withAgent(agentYaml(MOVES), async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const seen: string[][] = [];
    const host = new HostToolExecutor(agent.config, {
      env: () => undefined,
      backend: new FakeBackend() as unknown as SandboxBackend,
      egress: new FakeEgress(),
      preflight: (images) => {
        seen.push(images);
        return Promise.resolve(`Cannot run tier-2 tools: no Docker daemon answers at "/x.sock"`);
      },
    });
    const r = await host.call(call(1, "render_dom", { url: "http://shop.test/app" }));
    await host.close();
    deepEqual(Object.keys(r.observation ?? {}), ["error"]);
    match(String(r.observation?.["error"]), /^Cannot run tier-2 tools: no Docker daemon/);
    ok(!String(r.observation?.["error"]).includes("\n"));
    equal(seen.length, 1);
    ok(seen[0]!.some((i) => i.startsWith("zu-browser:")), seen[0]!.join());
  });
});

Deno.test("dockerPreflight says in one line that no daemon answers on a missing socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_preflight_" });
  try {
    const line = await dockerPreflight(["zu-browser:x"], `${dir}/docker.sock`);
    match(String(line), /^Cannot run tier-2 tools: no Docker daemon answers at ".*docker\.sock"/);
    ok(!String(line).includes("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("The host executor serves at most maxCalls calls per run", async () => {
  await withAgent(agentYaml(MOVES), async (dir) => {
    const io = captureIo({ cwd: dir });
    const agent = await loadAgent(io, dir);
    const backend = new FakeBackend();
    const host = new HostToolExecutor(agent.config, {
      env: () => undefined,
      backend: backend as unknown as SandboxBackend,
      egress: new FakeEgress(),
      resolver: () => Promise.resolve(["93.184.216.34"]),
      preflight: () => Promise.resolve(null),
      maxCalls: 1,
    });
    const [a, b] = await Promise.all([
      host.call(call(1, "render_dom", { url: "http://shop.test/a" })),
      host.call(call(2, "render_dom", { url: "http://shop.test/b" })),
    ]);
    await host.close();
    equal(a.observation?.["status"], 200);
    equal(b.error?.code, "budget_exhausted");
    equal(backend.launched.length, 1);
  });
});
