// zu serve end to end: the real command, a real server on loopback, real jailed runs.
import { deepEqual, equal, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { collectSse, readSse } from "../runner/serve/sse_test_util.ts";
import { type CapturedIo, captureIo } from "./_io.ts";
import { main } from "./main.ts";

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
    const r = await fetch(args.url, { method: args.method ?? "GET", headers: args.headers ?? {} });
    return { status: r.status, text: await r.text() };
  }
}
`;

/** An agent that probes `urls` in turn (each port declared only if in `declared`), then answers. */
function agentYaml(urls: string[], declared: string[]): string {
  const moves = urls.map((u) => `    - tool: probe\n      args: { url: "${u}" }`).join("\n");
  return `provider:
  name: scripted
  script:
${moves}
    - text: '{"answer": "done"}'
tiers:
  1:
    - ref: ./tools/probe.ts#Probe
      args: { egress: ${JSON.stringify(declared)} }
plugins:
  detectors: []
  validators: []
task:
  query: Probe the pages
  max_tier: 1
`;
}

async function writeAgent(dir: string, yaml: string): Promise<void> {
  await Deno.mkdir(`${dir}/tools`, { recursive: true });
  await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
  await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
}

interface Served {
  url: string;
  token: string;
  io: CapturedIo;
  stop(): Promise<number>;
}

/** Starts `zu serve` through main(); resolves once it printed where it listens. */
async function startServe(dir: string, extra: string[] = []): Promise<Served> {
  const controller = new AbortController();
  const io = captureIo({ cwd: dir, signal: controller.signal });
  let ready = (): void => {};
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const stderr = io.stderr;
  io.stderr = (t) => {
    stderr(t);
    if (io.stderrText().includes("token")) ready();
  };
  const code = main(["serve", "--listen", "127.0.0.1:0", "--db", "events.db", ...extra], io);
  await Promise.race([
    listening,
    code.then((c) => {
      throw new Error(`zu serve exited ${c}: ${io.stderrText()}`);
    }),
  ]);
  const url = /listening on (http:\/\/\S+)/.exec(io.stderrText())![1]!;
  const token = /mode 0600\): (\S+)/.exec(io.stderrText())![1]!;
  return {
    url,
    token,
    io,
    stop: async () => {
      controller.abort();
      return await code;
    },
  };
}

function types(frames: { data: string; id?: string }[]): string[] {
  return frames.filter((f) => f.id).map((f) => JSON.parse(f.data).event.type);
}

Deno.test("zu serve runs a jailed agent from POST /v1/runs; its events stream over SSE in order; the jail cannot reach the server", async () => {
  await using page = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("page-ok"),
  );
  const dir = await Deno.makeTempDir({ prefix: "zu_serve_" });
  try {
    const served = await startServe(dir, ["--token-file", "tok"]);
    try {
      equal((await Deno.stat(`${dir}/tok`)).mode! & 0o777, 0o600);
      equal((await Deno.readTextFile(`${dir}/tok`)).trim(), served.token);
      const port = Number(new URL(served.url).port);
      const pageAt = `127.0.0.1:${page.addr.port}`;
      // The agent declares its page, then tries the server that started it (health needs no token).
      await writeAgent(
        `${dir}/agent`,
        agentYaml([`http://${pageAt}/`, `${served.url}/v1/health`], [pageAt]),
      );
      const auth = { authorization: `Bearer ${served.token}` };
      const res = await fetch(`${served.url}/v1/runs`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ agent: "agent" }),
      });
      equal(res.status, 202, served.io.stderrText());
      const { run_id } = await res.json();
      const frames = await collectSse(
        await fetch(`${served.url}/v1/runs/${run_id}/events`, { headers: auth }),
      );
      const end = frames.at(-1)!;
      equal(end.event, "end");
      const summary = JSON.parse(end.data);
      equal(summary.status, "completed", JSON.stringify(summary));
      equal(summary.result_status, "success");
      const ids = frames.filter((f) => f.id).map((f) => Number(f.id));
      deepEqual(ids, ids.map((_, i) => i + 1), "seq 1..n, in order, none missing");
      const seen = types(frames);
      equal(seen[0], "harness.task.started");
      equal(seen.at(-1), "harness.task.completed");
      const blocked = frames.map((f) => f.id ? JSON.parse(f.data).event : null)
        .filter((e) => e?.type === "harness.defense.blocked");
      equal(blocked.length, 1, "the probe of the server was refused by Deno inside the jail");
      equal(blocked[0].payload.target, `127.0.0.1:${port}`);
      equal(blocked[0].payload.kind, "runtime_permission");
      // The same events are in the agent's event log, as zu run writes them.
      const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
      try {
        const rows = db.prepare("SELECT type FROM events ORDER BY seq").all() as { type: string }[];
        deepEqual(rows.map((r) => r.type), seen);
      } finally {
        db.close();
      }
      // Resume after the second event: the rest, then the end.
      const resumed = await collectSse(
        await fetch(`${served.url}/v1/runs/${run_id}/events`, {
          headers: { ...auth, "last-event-id": "2" },
        }),
      );
      deepEqual(resumed.filter((f) => f.id).map((f) => Number(f.id)), ids.slice(2));
      const shown = await (await fetch(`${served.url}/v1/runs/${run_id}`, { headers: auth }))
        .json();
      deepEqual(shown.result.value, { answer: "done" });
    } finally {
      equal(await served.stop(), 0);
    }
    ok(served.io.stderrText().endsWith("zu serve: stopped\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client that leaves POST /v1/runs?stream=1 cancels its jailed run; Ctrl-C aborts the others and closes their logs", async () => {
  let arrived = (): void => {};
  const requested = new Promise<void>((resolve) => (arrived = resolve));
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let hits = 0;
  await using slow = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    hits++;
    arrived();
    await held;
    return new Response("late");
  });
  const dir = await Deno.makeTempDir({ prefix: "zu_serve_cancel_" });
  const at = `127.0.0.1:${slow.addr.port}`;
  try {
    await writeAgent(`${dir}/agent`, agentYaml([`http://${at}/`], [at]));
    const served = await startServe(dir, ["--no-track"]);
    const auth = { authorization: `Bearer ${served.token}` };
    try {
      const client = new AbortController();
      const res = await fetch(`${served.url}/v1/runs?stream=1`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ agent: "agent", task: "Probe the slow page" }),
        signal: client.signal,
      });
      const frames = readSse(res);
      const { run_id } = JSON.parse((await frames.next()).value!.data);
      const started = JSON.parse((await frames.next()).value!.data).event;
      equal(started.type, "harness.task.started");
      equal(started.payload.query, "Probe the slow page", "the posted task replaced the agent's");
      await requested;
      client.abort();
      await frames.return(undefined).catch(() => {});
      // The run's own stream ends once the run has ended.
      const after = await collectSse(
        await fetch(`${served.url}/v1/runs/${run_id}/events`, { headers: auth }),
      );
      const summary = JSON.parse(after.at(-1)!.data);
      equal(summary.status, "interrupted");
      equal(summary.error.code, "interrupted");
      equal(types(after).at(-1), "harness.task.terminal");

      // A second held run, then Ctrl-C: the server aborts it and closes its log before exiting.
      const second = await (await fetch(`${served.url}/v1/runs`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ agent: "agent" }),
      })).json();
      const live = readSse(
        await fetch(`${served.url}/v1/runs/${second.run_id}/events`, { headers: auth }),
      );
      equal(JSON.parse((await live.next()).value!.data).event.type, "harness.task.started");
      equal(await served.stop(), 0);
      const rest = [];
      for await (const f of live) rest.push(f);
      equal(JSON.parse(rest.at(-1)!.data).status, "interrupted");
    } finally {
      await served.stop();
    }
    ok(hits >= 1);
    const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
    try {
      const rows = db.prepare("SELECT type, data FROM events ORDER BY seq").all() as {
        type: string;
        data: Uint8Array;
      }[];
      const terminals = rows.filter((r) => r.type === "harness.task.terminal");
      equal(terminals.length, 2, "both runs end in the log");
      for (const t of terminals) {
        ok(new TextDecoder().decode(t.data).includes('"error:interrupted"'));
      }
    } finally {
      db.close();
    }
  } finally {
    release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu serve refuses a non-loopback address, a busy port and an unusable socket path with one line, exit 2", async () => {
  await using busy = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(""),
  );
  const dir = await Deno.makeTempDir({ prefix: "zu_serve_bad_" });
  try {
    for (
      const [args, needle] of [
        [["--listen", "0.0.0.0:8765"], "loopback only"],
        [["--listen", `127.0.0.1:${busy.addr.port}`], "already in use"],
        [["--socket", `${dir}/missing/zu.sock`], "Cannot listen on"],
        [["--listen", "127.0.0.1:0", "--socket", `${dir}/s`], "not both"],
      ] as const
    ) {
      const io = captureIo({ cwd: dir, env: { ZU_SERVE_TOKEN: "a-long-enough-token-1234" } });
      equal(await main(["serve", ...args], io), 2, args.join(" "));
      const err = io.stderrText();
      equal(err.split("\n").filter(Boolean).length, 1, err);
      ok(err.startsWith("error: ") && err.includes(needle), err);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
