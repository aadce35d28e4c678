import assert from "node:assert/strict";
import { SecurityBlock } from "../../core/errors.ts";
import type { RunContext } from "../../core/types.ts";
import { FakeBrowserEgress, FakeSandboxBackend } from "../../testing/fake_sandbox_backend.ts";
import { Browser, closeRunSessions, openRunSessionKeys } from "./browser.ts";

const resolver = (host: string): Promise<string[]> =>
  Promise.resolve(
    ({ "shop.test": ["93.184.216.34"], "other.test": ["93.184.216.35"] } as Record<
      string,
      string[]
    >)[host] ?? [],
  );
const ctxOf = (trace: string) =>
  ({ trace_id: trace, spec: { task_id: trace } }) as unknown as RunContext;

function setup() {
  const backend = new FakeSandboxBackend({
    onSession: (command) => {
      if (command["op"] === "open") {
        return { status: 200, url: command["url"], text: "Form", html: "<form>" };
      }
      if (command["op"] === "act") {
        return { url: "https://shop.test/form", text: "Ordered", changed: true };
      }
      if (command["op"] === "read") {
        return { status: 200, url: "https://shop.test/form", text: "Form\nOrdered" };
      }
      return { error: "unexpected" };
    },
  });
  const egress = new FakeBrowserEgress();
  const tool = new Browser({ backend, egress, resolver, image: "zu-browser:test" });
  return { backend, egress, tool };
}

Deno.test("Browser is a tier-2 tool whose write op is act", () => {
  const tool = new Browser();
  assert.equal(tool.tier, 2);
  assert.deepEqual([...tool.capabilities!].sort(), ["net", "sandbox"]);
  assert.deepEqual([...tool.write_ops], ["act"]);
});

Deno.test("Browser opens one run-scoped session, reuses it for act and read, and closes it", async () => {
  const { backend, egress, tool } = setup();
  const ctx = ctxOf("run-a");
  const opened = await tool.call(ctx, {
    op: "open",
    url: "https://shop.test/form",
    wait_for: "#name",
  });
  assert.equal(opened["rendered"], true);
  assert.equal(opened["status"], 200);
  const acted = await tool.call(ctx, {
    op: "act",
    actions: [{ fill: "#name", value: "Ada" }, { click: "text=Send" }],
  });
  assert.equal(acted["text"], "Ordered");
  const read = await tool.call(ctx, { op: "read" });
  assert.equal(read["text"], "Form\nOrdered");
  assert.equal(backend.sessions.length, 1, "one sandbox for the whole run");
  const session = backend.sessions[0]!;
  assert.equal(
    session.spec.cmd,
    undefined,
    "the image's idle CMD keeps the box up; the backend execs zu-browser",
  );
  assert.equal(session.spec.network, "isolated");
  assert.deepEqual(session.spec.allowlist, ["shop.test"]);
  assert.equal(session.spec.extraHosts?.["shop.test"], "93.184.216.34");
  assert.deepEqual(session.commands.map((c) => c["op"]), ["open", "act", "read"]);
  assert.deepEqual(session.commands[0]!["actions"], [{ wait_for: "#name" }]);
  assert.deepEqual(session.commands[1]!["actions"], [{ fill: "#name", value: "Ada" }, {
    click: "text=Send",
  }]);
  assert.deepEqual(openRunSessionKeys(), ["run-a"]);
  assert.deepEqual(await tool.call(ctx, { op: "close" }), { closed: true });
  assert.equal(session.closed, true);
  assert.equal(backend.live(), 0);
  assert.equal(egress.live(), 0);
  assert.deepEqual(openRunSessionKeys(), []);
});

Deno.test("Browser keeps runs apart and closeRunSessions tears down only that run", async () => {
  const { backend, egress, tool } = setup();
  await tool.call(ctxOf("run-b"), { op: "open", url: "https://shop.test/" });
  await tool.call(ctxOf("run-c"), { op: "open", url: "https://shop.test/" });
  assert.equal(backend.sessions.length, 2);
  await closeRunSessions("run-b");
  assert.deepEqual(openRunSessionKeys(), ["run-c"]);
  assert.equal(backend.sessions[0]!.closed, true);
  assert.equal(backend.sessions[1]!.closed, false);
  await closeRunSessions("run-c");
  await closeRunSessions("run-c");
  assert.equal(backend.live(), 0);
  assert.equal(egress.live(), 0);
});

Deno.test("Browser releases the old sandbox when the run opens a different host", async () => {
  const { backend, egress, tool } = setup();
  const ctx = ctxOf("run-d");
  await tool.call(ctx, { op: "open", url: "https://shop.test/" });
  await tool.call(ctx, { op: "open", url: "https://shop.test/other" });
  assert.equal(backend.sessions.length, 1, "same host reuses the session");
  await tool.call(ctx, { op: "open", url: "https://other.test/" });
  assert.equal(backend.sessions.length, 2);
  assert.equal(backend.sessions[0]!.closed, true);
  assert.equal(egress.leases[0]!.closed, true);
  assert.deepEqual(egress.leases[1]!.request.host, "other.test");
  await closeRunSessions("run-d");
  assert.equal(backend.live(), 0);
});

Deno.test("Browser answers invalid actions, unknown ops and act-before-open without a sandbox", async () => {
  const { backend, tool } = setup();
  const ctx = ctxOf("run-e");
  assert.equal(
    (await tool.call(ctx, { op: "act", actions: [{ click: "#a", js: "1" }] }))["blocked"],
    "invalid_action",
  );
  assert.equal((await tool.call(ctx, { op: "eval" }))["blocked"], "invalid_op");
  assert.match(String((await tool.call(ctx, { op: "read" }))["error"]), /call op "open" first/);
  await assert.rejects(
    tool.call(ctx, { op: "open", url: "http://169.254.169.254/" }),
    (e) => e instanceof SecurityBlock && e.kind === "ssrf",
  );
  assert.equal(backend.launched.length, 0);
});

Deno.test("Browser reports refusals new since the previous op as blocked_egress", async () => {
  const { tool, egress } = setup();
  const ctx = ctxOf("run-f");
  const first = await tool.call(ctx, { op: "open", url: "https://shop.test/" });
  assert.equal(first["blocked_egress"], undefined);
  egress.leases[0]!.decisions.push({
    host: "evil.test",
    port: 443,
    allowed: false,
    reason: "not_allowlisted",
  });
  const second = await tool.call(ctx, { op: "read" });
  assert.deepEqual(second["blocked_egress"], [{
    host: "evil.test",
    port: 443,
    reason: "not_allowlisted",
  }]);
  const third = await tool.call(ctx, { op: "read" });
  assert.equal(third["blocked_egress"], undefined);
  await closeRunSessions("run-f");
});

Deno.test("Browser closes a session that does not answer in time", async () => {
  let release: () => void = () => {};
  const backend = new FakeSandboxBackend({
    onSession: (c) =>
      c["op"] === "open" ? new Promise((r) => (release = () => r({ status: 200 }))) : { ok: true },
  });
  const egress = new FakeBrowserEgress();
  const tool = new Browser({ backend, egress, resolver, timeoutMs: 50 });
  const obs = await tool.call(ctxOf("run-g"), { op: "open", url: "https://shop.test/" });
  assert.match(String(obs["error"]), /timed out/);
  assert.deepEqual(openRunSessionKeys().includes("run-g"), false);
  assert.equal(backend.live(), 0);
  assert.equal(egress.live(), 0);
  release();
});

Deno.test("Browser refuses clearly when the backend cannot open sessions", async () => {
  const backend = new FakeSandboxBackend({ sessions: false });
  const tool = new Browser({ backend, egress: new FakeBrowserEgress(), resolver });
  await assert.rejects(
    tool.call(ctxOf("run-h"), { op: "open", url: "https://shop.test/" }),
    /cannot open sessions/,
  );
});
