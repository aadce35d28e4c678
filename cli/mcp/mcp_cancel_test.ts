// zu mcp and runs that outlive their call: a cancelled call aborts its jailed run, and a client
// that goes away (stdin closed) has its runs aborted and their logs closed before the server
// exits. Real CLI child, real jailed runs, a real loopback page that holds every request.
import { equal, ok, rejects } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client";
// The package's "./*" export names no types for "client/stdio.js": take them from "./client/stdio".
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

const PROBE_TOOL = `
export class Probe {
  name = "probe";
  tier = 1;
  capabilities = new Set(["net"]);
  schema = {
    name: "probe",
    description: "Fetch a URL",
    parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
  };
  constructor(args = {}) { this.egress = new Set(args.egress ?? []); }
  async call(_ctx, args) {
    const r = await fetch(args.url);
    return { status: r.status, text: await r.text() };
  }
}
`;

function agentYaml(at: string): string {
  return `provider:
  name: scripted
  script:
    - tool: probe
      args: { url: "http://${at}/" }
    - text: '{"answer": "done"}'
tiers:
  1:
    - ref: ./tools/probe.ts#Probe
      args: { egress: ["${at}"] }
plugins:
  detectors: []
  validators: []
task:
  query: Probe the slow page
  max_tier: 1
`;
}

/** A loopback page that answers nothing until released; `arrivals` counts requests. */
function slowPage() {
  let waiters: (() => void)[] = [];
  let hits = 0;
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    hits++;
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
    await held;
    return new Response("late");
  });
  return {
    at: `127.0.0.1:${server.addr.port}`,
    /** Resolves once `n` requests have arrived. */
    arrived: (n: number) =>
      hits >= n ? Promise.resolve() : new Promise<void>((resolve) => {
        const check = () => (hits >= n ? resolve() : waiters.push(check));
        waiters.push(check);
      }),
    async [Symbol.asyncDispose]() {
      release();
      await server.shutdown();
    },
  };
}

function terminals(db: string): string[] {
  const sql = new DatabaseSync(db, { readOnly: true });
  try {
    const rows = sql.prepare("SELECT data FROM events WHERE type = 'harness.task.terminal'")
      .all() as { data: Uint8Array }[];
    return rows.map((r) => new TextDecoder().decode(r.data));
  } finally {
    sql.close();
  }
}

async function agentDir(at: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_mcp_cancel_" });
  await Deno.mkdir(`${dir}/tools`);
  await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
  await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(at));
  return dir;
}

Deno.test("a cancelled run call aborts its jailed run, which ends in the log", async () => {
  await using page = slowPage();
  const dir = await agentDir(page.at);
  try {
    const transport = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", MAIN, "mcp", "--db", "events.db", "--no-track"],
      cwd: dir,
      env: { ...Deno.env.toObject(), NO_COLOR: "1" },
      stderr: "inherit",
    });
    const client = new Client({ name: "zu-mcp-cancel", version: "1.0.0" });
    await client.connect(transport);
    try {
      const cancel = new AbortController();
      const call = client.callTool({ name: "run", arguments: { agent: "." } }, undefined, {
        signal: cancel.signal,
        timeout: 120_000,
      });
      await page.arrived(1);
      cancel.abort();
      await rejects(call);
      // Bounded polling: the run ends in the log once the jailed child was stopped.
      let runs: { status: string }[] = [];
      for (let i = 0; i < 200; i++) {
        const r = await client.callTool({ name: "events", arguments: {} });
        runs = JSON.parse((r.content as { text: string }[])[0]!.text).runs;
        if (runs[0]?.status === "terminal") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      equal(runs.length, 1);
      equal(runs[0]!.status, "terminal");
      const ends = terminals(`${dir}/events.db`);
      equal(ends.length, 1);
      ok(ends[0]!.includes("error:interrupted"), ends[0]);
    } finally {
      await client.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("when stdin closes mid-run the run is aborted, its log closed, and zu mcp exits 0", async () => {
  await using page = slowPage();
  const dir = await agentDir(page.at);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "mcp", "--db", "events.db", "--no-track"],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    const send = (m: unknown) => writer.write(new TextEncoder().encode(`${JSON.stringify(m)}\n`));
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    });
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "run", arguments: { agent: "." } },
    });
    await page.arrived(1);
    await writer.close();
    const out = await child.output();
    equal(out.code, 0);
    const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
    for (const l of lines) equal(JSON.parse(l).jsonrpc, "2.0");
    const ends = terminals(`${dir}/events.db`);
    equal(ends.length, 1, "the run ended in its log before the server exited");
    ok(ends[0]!.includes("error:interrupted"), ends[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("at most 4 calls run at once: a fifth is refused with one line, and the server goes on", async () => {
  await using page = slowPage();
  const dir = await agentDir(page.at);
  try {
    const transport = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", MAIN, "mcp", "--db", "events.db", "--no-track"],
      cwd: dir,
      env: { ...Deno.env.toObject(), NO_COLOR: "1" },
      stderr: "inherit",
    });
    const client = new Client({ name: "zu-mcp-busy", version: "1.0.0" });
    await client.connect(transport);
    try {
      const cancels = [0, 1, 2, 3].map(() => new AbortController());
      const calls = cancels.map((c) =>
        client.callTool({ name: "run", arguments: { agent: "." } }, undefined, {
          signal: c.signal,
          timeout: 120_000,
        })
      );
      await page.arrived(4);
      const fifth = await client.callTool({ name: "events", arguments: {} });
      equal(fifth.isError, true);
      const text = (fifth.content as { text: string }[])[0]!.text;
      equal(text, "busy: 4 calls are running (at most 4); call again when one has answered");
      for (const c of cancels) c.abort();
      for (const call of calls) await rejects(call);
      let ended = 0;
      for (let i = 0; i < 200 && ended < 4; i++) {
        const r = await client.callTool({ name: "events", arguments: {} });
        if (r.isError) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        const runs = JSON.parse((r.content as { text: string }[])[0]!.text).runs;
        ended = runs.filter((x: { status: string }) => x.status === "terminal").length;
        if (ended < 4) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      equal(ended, 4);
      equal(terminals(`${dir}/events.db`).length, 4);
    } finally {
      await client.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
