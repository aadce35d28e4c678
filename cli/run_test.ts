import { equal, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { captureIo } from "./_io.ts";
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
    const r = await fetch(args.url);
    return { status: r.status, text: await r.text() };
  }
}
`;

function agentYaml(allowedPort: number, deniedPort: number): string {
  return `provider:
  name: scripted
  script:
    - tool: probe
      args: { url: "http://127.0.0.1:${allowedPort}/" }
    - tool: probe
      args: { url: "http://127.0.0.1:${deniedPort}/" }
    - text: '{"answer": "allowed-ok"}'
tiers:
  1:
    - ref: ./tools/probe.ts#Probe
      args: { egress: ["127.0.0.1:${allowedPort}"] }
plugins:
  detectors: []
  validators: []
task:
  query: Fetch both pages
  max_tier: 1
`;
}

function serve(body: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(body));
}

Deno.test("zu run jails a live agent: Deno refuses the undeclared port, logs it, and the run goes on", async () => {
  await using allowed = serve("allowed-ok");
  await using denied = serve("secret");
  const dir = await Deno.makeTempDir({ prefix: "zu_run_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(allowed.addr.port, denied.addr.port));
    const io = captureIo({ cwd: dir });
    const code = await main(["run", dir, "--db", "events.db", "--json"], io);
    const out = JSON.parse(io.stdoutText() || "{}");
    equal(code, 0, io.stderrText() + io.stdoutText());
    equal(out.status, "success");
    equal(out.blocked.length, 1);
    equal(out.blocked[0].kind, "runtime_permission");
    equal(out.blocked[0].tool, "probe");
    equal(out.blocked[0].target, `127.0.0.1:${denied.addr.port}`);

    const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
    try {
      const rows = db.prepare("SELECT type FROM events ORDER BY seq").all() as { type: string }[];
      const types = rows.map((r) => r.type);
      equal(types[0], "harness.task.started");
      ok(types.includes("harness.defense.blocked"));
      equal(types.at(-1), "harness.task.completed");
      equal(rows.length, out.events);
    } finally {
      db.close();
    }
    // the secret never reached the log
    const all = await Deno.readFile(`${dir}/events.db`);
    ok(!new TextDecoder().decode(all).includes("secret"));
    // zu's bookkeeping: the successful path is re-recorded and the cost ledger gets a line
    const track = JSON.parse(await Deno.readTextFile(`${dir}/track.json`));
    equal(track.steps.length, 2);
    equal(track.steps[0].tool, "probe");
    const cost = (await Deno.readTextFile(`${dir}/cost.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    equal(cost.length, 1);
    equal(cost[0].status, "success");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu replay gives the child no network at all: even a declared host is refused", async () => {
  await using srv = serve("should-not-be-read");
  const dir = await Deno.makeTempDir({ prefix: "zu_replay_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.mkdir(`${dir}/fixtures`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(srv.addr.port, srv.addr.port));
    const url = `http://127.0.0.1:${srv.addr.port}/`;
    await Deno.writeTextFile(
      `${dir}/fixtures/capture.json`,
      JSON.stringify({
        task: "Fetch both pages",
        model: null,
        moves: [{ tool: "probe", args: { url } }, { text: '{"answer": "x"}', finish: "stop" }],
        observations: {},
      }),
    );
    const io = captureIo({ cwd: dir });
    const code = await main(["replay", dir, "--db", "events.db", "--json"], io);
    equal(code, 0, io.stderrText() + io.stdoutText());
    const out = JSON.parse(io.stdoutText());
    equal(out.blocked.length, 1);
    equal(out.blocked[0].kind, "runtime_permission");
    equal(out.blocked[0].target, `127.0.0.1:${srv.addr.port}`);
    // zu's cost ledger gets the replay's line, and the replay does not touch track.json
    const cost = (await Deno.readTextFile(`${dir}/cost.jsonl`)).trim().split("\n");
    equal(cost.length, 1);
    equal(JSON.parse(cost[0]!).status, out.status);
    equal(await Deno.stat(`${dir}/track.json`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu capture saves a live run as the bundle: the model moves first, never a recorded track", async () => {
  await using allowed = serve("allowed-ok");
  await using denied = serve("secret");
  const dir = await Deno.makeTempDir({ prefix: "zu_capture_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(allowed.addr.port, denied.addr.port));
    // a first run records track.json; a capture must not replay it (else the script restarts)
    const first = captureIo({ cwd: dir });
    equal(await main(["run", dir, "--db", "events.db"], first), 0, first.stderrText());
    ok(await Deno.stat(`${dir}/track.json`));
    const io = captureIo({ cwd: dir });
    const code = await main(["capture", dir, "--db", "events.db"], io);
    equal(code, 0, io.stderrText() + io.stdoutText());
    const bundle = JSON.parse(await Deno.readTextFile(`${dir}/fixtures/capture.json`));
    equal(bundle.task, "Fetch both pages");
    equal(bundle.moves.length, 3);
    equal(bundle.moves[0].tool, "probe");
    equal(JSON.parse(bundle.moves[2].text).answer, "allowed-ok");
    ok(JSON.stringify(bundle.observations).includes("allowed-ok"));
    const ledger = async () => (await Deno.readTextFile(`${dir}/cost.jsonl`)).trim().split("\n");
    equal((await ledger()).length, 2);
    equal(JSON.parse((await ledger())[1]!).replayed, false);
    // --no-track: the capture does not re-record track.json
    await Deno.remove(`${dir}/track.json`);
    const again = captureIo({ cwd: dir });
    equal(await main(["capture", dir, "--db", "events.db", "--no-track"], again), 0);
    equal(await Deno.stat(`${dir}/track.json`).then(() => true, () => false), false);
    equal((await ledger()).length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu run stops the jailed child on interrupt and exits 130", async () => {
  let arrived = (): void => {};
  const requested = new Promise<void>((resolve) => (arrived = resolve));
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await using slow = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    arrived();
    await held;
    return new Response("late");
  });
  const dir = await Deno.makeTempDir({ prefix: "zu_sigint_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(slow.addr.port, slow.addr.port));
    const controller = new AbortController();
    const io = captureIo({ cwd: dir, signal: controller.signal });
    const running = main(["run", dir, "--db", "events.db"], io);
    await requested;
    controller.abort();
    equal(await running, 130, io.stderrText());
    equal(io.stderrText(), "zu: interrupted\n");
    const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
    try {
      const rows = db.prepare("SELECT type, data FROM events ORDER BY seq").all() as {
        type: string;
        data: Uint8Array;
      }[];
      equal(rows[0]?.type, "harness.task.started");
      equal(rows.at(-1)?.type, "harness.task.terminal", "the interrupted run ends in the log");
      ok(new TextDecoder().decode(rows.at(-1)!.data).includes('"error:interrupted"'));
    } finally {
      db.close();
    }
  } finally {
    release();
    await Deno.remove(dir, { recursive: true });
  }
});
