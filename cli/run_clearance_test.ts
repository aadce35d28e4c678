import { deepEqual, equal, match, ok } from "node:assert/strict";
import { openSink, sinkConfigForPath } from "../sinks/open_sink.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const PROBE_TOOL = `
export class Probe {
  name = "probe";
  tier = 1;
  capabilities = new Set(["net"]);
  egress = new Set([]);
  schema = { name: "probe", description: "Fetch a URL", parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] } };
  async call(_ctx, args) {
    const r = await fetch(args.url);
    return { status: r.status, text: await r.text() };
  }
}
`;

const AGENT = `provider:
  name: scripted
  script:
    - tool: probe
      args: { url: "https://undeclared.test/" }
    - text: '{"answer": "done"}'
tiers:
  1:
    - ref: ./tools/probe.ts#Probe
plugins:
  detectors: []
  validators: []
task:
  query: Fetch
  max_tier: 1
`;

async function rows(db: string): Promise<{ type: string; payload: string }[]> {
  await using sink = await openSink(sinkConfigForPath(db), {
    dir: ".",
    env: () => undefined,
    mode: "read",
  });
  return (await sink.query()).map((e) => ({ type: e.type, payload: JSON.stringify(e.payload) }));
}

Deno.test("zu run --clearance-hold: an undeclared host is held (pending in the log), then refused at the deadline; off refuses at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_run_clear_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const io = captureIo({ cwd: dir });
    const code = await main(
      ["run", dir, "--db", "held.db", "--json", "--clearance-hold", "0.5"],
      io,
    );
    equal(code, 0, io.stderrText() + io.stdoutText());
    const out = JSON.parse(io.stdoutText());
    equal(out.status, "success");
    deepEqual(out.blocked.map((b: { kind: string; target: string }) => [b.kind, b.target]), [
      ["runtime_permission", "undeclared.test:443"],
    ]);
    // The report lists what was held for an operator and how it ended.
    equal(out.clearances.length, 1);
    equal(out.clearances[0].outcome, "timed_out");
    const held = await rows(`${dir}/held.db`);
    const types = held.map((r) => r.type);
    ok(types.includes("harness.egress.pending"), types.join(" "));
    const verdict = held.find((r) => r.type === "harness.egress.clearance");
    ok(verdict);
    const v = JSON.parse(verdict.payload);
    equal(v.outcome, "timed_out");
    equal(v.host, "undeclared.test");
    const blocked = held.find((r) => r.type === "harness.defense.blocked")!;
    match(blocked.payload, /clearance_timeout/);

    const off = captureIo({ cwd: dir, env: { ZU_CLEARANCE_HOLD: "off" } });
    equal(await main(["run", dir, "--db", "off.db", "--json"], off), 0, off.stderrText());
    const offTypes = (await rows(`${dir}/off.db`)).map((r) => r.type);
    ok(offTypes.includes("harness.defense.blocked"));
    ok(!offTypes.some((t) => t.startsWith("harness.egress.")), offTypes.join(" "));
    equal(JSON.parse(off.stdoutText()).blocked[0].target, "undeclared.test:443");
    equal(JSON.parse(off.stdoutText()).clearances, undefined);
    // The text report says what was held and how it ended.
    const text = captureIo({ cwd: dir });
    equal(await main(["run", dir, "--db", "text.db", "--clearance-hold", "0.2"], text), 0);
    match(
      text.stdoutText(),
      /^cleared: (\d+) held for an operator \(0 allowed and forwarded, \1 refused or late\)/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
