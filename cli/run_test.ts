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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
