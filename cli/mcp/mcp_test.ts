// zu mcp end to end: the real CLI in a child process, driven by the MCP SDK's own client over
// stdio. Runs are real (jailed children), the event logs real SQLite files.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client";
// The package's "./*" export names no types for "client/stdio.js": take them from "./client/stdio".
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ProgressNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { HELLO_AGENT } from "../_test_agents.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const SHOP = fileURLToPath(new URL("../../fixtures/agents/shop-price", import.meta.url));

/** An agent whose only call needs a human's approval (the run pauses). */
const PAUSING_AGENT = `provider:
  name: scripted
  script:
    - tool: recall
      args: {query: "\\e[31mred\\u202egnp.exe\\0"}
    - text: '{"answer": "done"}'
plugins:
  tools: [recall]
  detectors: []
  validators: []
action_policies:
  - {tool: recall, effect: escalate}
task:
  query: Recall the notes
  max_tier: 1
`;

interface Session extends AsyncDisposable {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  json(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

async function mcp(cwd: string, ...flags: string[]): Promise<Session> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", MAIN, "mcp", ...flags],
    cwd,
    // The whole environment: the child resolves its npm packages from the same Deno cache.
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
    stderr: "inherit",
  });
  const client = new Client({ name: "zu-mcp-test", version: "1.0.0" });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    const content = r.content as { type: string; text: string }[];
    equal(content.length, 1);
    equal(content[0]!.type, "text");
    return { text: content[0]!.text, isError: r.isError === true };
  };
  return {
    client,
    call,
    json: async (name, args) => {
      const r = await call(name, args);
      ok(!r.isError, `${name} failed: ${r.text}`);
      return JSON.parse(r.text);
    },
    [Symbol.asyncDispose]: () => client.close(),
  };
}

async function tempDir(agent?: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_mcp_" });
  if (agent !== undefined) await Deno.writeTextFile(`${dir}/agent.yaml`, agent);
  return dir;
}

Deno.test("zu mcp lists every tool with a JSON Schema of its arguments", async () => {
  const dir = await tempDir();
  try {
    await using s = await mcp(dir);
    const { tools } = await s.client.listTools();
    deepStrictEqual(tools.map((t) => t.name), [
      "run",
      "replay",
      "harden",
      "events",
      "pending",
      "verdict",
    ]);
    for (const t of tools) {
      equal(t.inputSchema.type, "object", t.name);
      ok((t.description ?? "").length > 40, t.name);
      equal((t.inputSchema as { additionalProperties?: boolean }).additionalProperties, false);
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema]));
    deepStrictEqual(byName.run!.required, ["agent"]);
    deepStrictEqual(byName.verdict!.required, ["id", "action"]);
    const action = (byName.verdict!.properties as Record<string, { enum?: string[] }>).action;
    deepStrictEqual(action?.enum, ["allow", "deny", "approve", "reject"]);
    // No event log yet: nothing is pending (not an error).
    deepStrictEqual(await s.json("pending"), { pending: [], total: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp --no-verdicts offers no verdict tool: a human decides", async () => {
  const dir = await tempDir();
  try {
    await using s = await mcp(dir, "--no-verdicts");
    const { tools } = await s.client.listTools();
    deepStrictEqual(tools.map((t) => t.name), ["run", "replay", "harden", "events", "pending"]);
    const r = await s.call("verdict", { id: "x", action: "approve" });
    ok(r.isError);
    equal(r.text, 'unknown tool "verdict" (tools: run, replay, harden, events, pending)');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp answers a bad call with one clear line, never a crash", async () => {
  const dir = await tempDir();
  try {
    await using s = await mcp(dir);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["nope", {}, /^unknown tool "nope" \(tools: run, replay/],
      ["run", {}, /^run: missing argument "agent"$/],
      ["run", { agent: 7 }, /^run: argument "agent" must be a string$/],
      ["run", { agent: "x", extra: 1 }, /^run: unknown argument "extra"/],
      ["run", { agent: "no/such/agent" }, /^run: Cannot find agent "no\/such\/agent"/],
      ["replay", { agent: "--help" }, /^replay: Cannot find agent "\.\/--help"/],
      ["events", { limit: 0 }, /^events: argument "limit" must be at least 1$/],
      ["events", { after_seq: 3 }, /^events: "type" and "after_seq" read one run's events/],
      ["events", { db: "missing.db" }, /^events: Cannot open event log "missing\.db"/],
      ["verdict", { id: "x", action: "maybe" }, /^verdict: argument "action" must be one of/],
      ["verdict", { id: "forged", action: "allow" }, /^verdict: no pending clearance has id/],
    ];
    for (const [name, args, want] of cases) {
      const r = await s.call(name, args);
      ok(r.isError, `${name} ${JSON.stringify(args)}: ${r.text}`);
      ok(want.test(r.text), `${name} ${JSON.stringify(args)}: ${r.text}`);
      equal(r.text.split("\n").length, 1, r.text);
    }
    // The server is still there after all of them.
    equal((await s.client.listTools()).tools.length, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp runs an agent in the jail and its events are read back through events", async () => {
  const dir = await tempDir(HELLO_AGENT);
  try {
    await using s = await mcp(dir, "--db", "events.db");
    const run = await s.json("run", { agent: "." });
    equal(run.status, "success", JSON.stringify(run));
    deepStrictEqual(run.value, { answer: "hello" });
    equal(run.db, `${dir}/events.db`);
    const id = run.run as string;
    ok(/^[0-9a-f-]{36}$/.test(id), id);
    const list = await s.json("events", { limit: 1 });
    const runs = list.runs as { run: string; status: string; events: number; query: string }[];
    equal(runs.length, 1);
    equal(runs[0]!.run, id);
    equal(runs[0]!.status, "completed");
    equal(runs[0]!.events, run.events);
    equal(runs[0]!.query, "Say hello");
    // A query of the call replaces the agent's for that run only; with a progress token each
    // stored event is one progress notification.
    // Collected by a notification handler of its own: the SDK client drops a progress
    // notification that it reads in the same chunk as the call's answer (its per-call
    // `onprogress` is removed before the deferred notification handler runs).
    const progress: { progress: number; message?: string | undefined }[] = [];
    s.client.setNotificationHandler(
      ProgressNotificationSchema,
      (n) => void progress.push(n.params),
    );
    const r = await s.client.callTool(
      { name: "run", arguments: { agent: ".", query: "Say hello in French" } },
      undefined,
      { timeout: 120_000, onprogress: () => {} },
    );
    const other = JSON.parse((r.content as { text: string }[])[0]!.text);
    equal(other.status, "success");
    equal(progress.length, other.events);
    deepStrictEqual(progress.map((p) => p.progress), progress.map((_, i) => i + 1));
    equal(progress[0]!.message, "harness.task.started");
    equal(progress.at(-1)!.message, "harness.task.completed");
    const both = (await s.json("events")).runs as { run: string; query: string }[];
    equal(both.length, 2);
    equal(both[1]!.run, other.run);
    equal(both[1]!.query, "Say hello in French");
    const all = await s.json("events", { run: id.slice(0, 8) });
    const types = (all.events as { type: string }[]).map((e) => e.type);
    equal(types[0], "harness.task.started");
    equal(types.at(-1), "harness.task.completed");
    equal(types.length, run.events);
    equal(all.more, false);
    // Paging: two at a time, from next_after_seq, until more is false.
    const paged: string[] = [];
    let after = 0;
    for (let i = 0; i < 50; i++) {
      const page = await s.json("events", { run: id, limit: 2, after_seq: after });
      paged.push(...(page.events as { type: string }[]).map((e) => e.type));
      after = page.next_after_seq as number;
      if (page.more !== true) break;
    }
    deepStrictEqual(paged, types);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp: a paused run is listed by pending, approved by verdict and resumes", async () => {
  const dir = await tempDir(PAUSING_AGENT);
  try {
    await using s = await mcp(dir, "--db", "events.db");
    const run = await s.json("run", { agent: "." });
    equal(run.status, "paused", JSON.stringify(run));
    const id = run.run as string;
    const pending = await s.call("pending");
    ok(!pending.isError, pending.text);
    // Sandbox-chosen text (the call's arguments) reaches the assistant harmless.
    const raw = [...pending.text].filter((c) => {
      const n = c.codePointAt(0)!;
      return (n < 0x20 && c !== "\n") || n === 0x7f || n === 0x202e;
    });
    deepStrictEqual(raw, [], pending.text);
    ok(pending.text.includes("red"), pending.text);
    const items = JSON.parse(pending.text).pending as {
      id: string;
      kind: string;
      run: string;
      verdicts: string[];
    }[];
    equal(items.length, 1);
    equal(items[0]!.kind, "approval");
    equal(items[0]!.run, id);
    deepStrictEqual(items[0]!.verdicts, ["approve", "reject"]);
    // A forged id, another run, and a clearance action are refused before anything is written.
    const forged = await s.call("verdict", { id: crypto.randomUUID(), action: "approve" });
    ok(forged.isError && /no pending approval has id/.test(forged.text), forged.text);
    const other = await s.call("verdict", {
      id: items[0]!.id,
      action: "approve",
      run: crypto.randomUUID(),
    });
    ok(other.isError && /belongs to another run/.test(other.text), other.text);
    const wrongKind = await s.call("verdict", { id: items[0]!.id, action: "allow" });
    ok(
      wrongKind.isError &&
        /no pending clearance|an approval takes approve or reject/.test(wrongKind.text),
      wrongKind.text,
    );
    const before = await s.json("events", { run: id });
    equal((before.events as { type: string }[]).at(-1)?.type, "harness.run.paused");
    const verdict = await s.json("verdict", {
      id: items[0]!.id,
      action: "approve",
      run: id,
      agent: ".",
      reason: "fine",
    });
    equal(verdict.applied, true);
    const outcome = verdict.outcome as Record<string, unknown>;
    equal(outcome.status, "success", JSON.stringify(outcome));
    equal(outcome.resumed, true);
    const after = await s.json("events", { run: id, limit: 200 });
    const events = after.events as { type: string; payload: Record<string, unknown> }[];
    const types = events.map((e) => e.type);
    const at = types.indexOf("harness.run.paused");
    deepStrictEqual(types.slice(at, at + 3), [
      "harness.run.paused",
      "harness.approval.resolved",
      "harness.run.resumed",
    ]);
    equal(events[at + 1]!.payload.by, "cli:mcp");
    equal(events[at + 1]!.payload.reason, "fine");
    equal(types.at(-1), "harness.task.completed");
    deepStrictEqual((await s.json("pending")).pending, []);
    const again = await s.call("verdict", { id: items[0]!.id, action: "reject" });
    ok(again.isError, again.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp replays and hardens a captured agent offline", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/shop`);
    for await (const e of Deno.readDir(SHOP)) {
      if (e.isDirectory) {
        await Deno.mkdir(`${dir}/shop/${e.name}`);
        for await (const f of Deno.readDir(`${SHOP}/${e.name}`)) {
          if (f.isFile) {
            await Deno.copyFile(`${SHOP}/${e.name}/${f.name}`, `${dir}/shop/${e.name}/${f.name}`);
          }
        }
      } else await Deno.copyFile(`${SHOP}/${e.name}`, `${dir}/shop/${e.name}`);
    }
    await using s = await mcp(dir, "--db", "events.db");
    const replay = await s.json("replay", { agent: "shop" });
    equal(replay.status, "success", JSON.stringify(replay));
    deepStrictEqual(replay.unused, []);
    const runs = (await s.json("events")).runs as { trace_id: string }[];
    equal(runs.at(-1)?.trace_id, replay.trace_id);
    const harden = await s.json("harden", { agent: "shop", perturb: "banner-prefix,drop-value" });
    equal(harden.passed, true, JSON.stringify(harden));
    const variants = harden.variants as { name: string; ok: boolean }[];
    ok(variants.length >= 2, JSON.stringify(variants));
    ok(variants.every((v) => v.ok), JSON.stringify(variants));
    const bad = await s.call("harden", { agent: "shop", perturb: "no-such-variant" });
    ok(bad.isError, bad.text);
    equal(bad.text.split("\n").length, 1, bad.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu mcp exits 0 when stdin closes, and stdout carries only protocol lines", async () => {
  const dir = await tempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "mcp"],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    };
    await writer.write(new TextEncoder().encode(`${JSON.stringify(init)}\nnot json\n`));
    await writer.close();
    const out = await child.output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
    ok(lines.length >= 1);
    for (const l of lines) equal(JSON.parse(l).jsonrpc, "2.0");
    equal(JSON.parse(lines[0]!).result.serverInfo.name, "zu");
    ok(/stdin closed, stopped/.test(new TextDecoder().decode(out.stderr)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
