// The check, end to end: a live jailed run against loopback origins blocks on an
// undeclared host and completes after an allow given from ANOTHER process. The run is a real
// jailed child (its plugin tool fetches `cleared.test`, which its --allow-net does not grant);
// the fetch is relayed to the host's egress proxy and held on the run's desk; the operator finds
// it with `zu pending --json` and allows it with `zu clear allow`, both separate processes on the
// same event database; the held request reaches the upstream and the run ends with its answer.
// The name maps to 127.0.0.1 through the resolver seam (only loopback is ever dialled).
import { equal, match, ok } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { EGRESS_CLEARANCE, EGRESS_PENDING, type Event } from "../core/events.ts";
import { loadAgentConfig } from "../agent/config.ts";
import { openSinks, sinkConfigForPath } from "../sinks/open_sink.ts";
import { openRunClearance } from "../runner/clearance/run_clearance.ts";
import { runLive } from "../runner/live_run.ts";

const MAIN = fromFileUrl(new URL("./main.ts", import.meta.url));

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

async function zu(cwd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("a jailed run blocked on an undeclared host completes after `zu clear allow` from another process", async () => {
  const hits: string[] = [];
  await using upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    hits.push(new URL(req.url).pathname);
    return new Response("hello-from-cleared");
  });
  const port = upstream.addr.port;
  const dir = await Deno.makeTempDir({ prefix: "zu_clear_e2e_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
    const url = `http://cleared.test:${port}/page`;
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      `provider:\n  name: scripted\n  script:\n    - {"tool": "probe", "args": {"url": "${url}"}}\n    - {"text": "{\\"answer\\": \\"done\\"}"}\ntiers:\n  1:\n    - ref: ./tools/probe.ts#Probe\nplugins:\n  detectors: []\n  validators: []\ntask:\n  query: Fetch\n  max_tier: 1\n`,
    );
    const db = `${dir}/events.db`;
    const sink = await openSinks({ event_sink: sinkConfigForPath(db) }, {
      dir,
      env: () => undefined,
      mode: "write",
    });
    await using clearance = await openRunClearance({ holdMs: 60_000, dbPath: db });
    let pendingSeen!: (e: Event) => void;
    const pending = new Promise<Event>((r) => (pendingSeen = r));
    const lookups: string[] = [];
    try {
      const config = await loadAgentConfig(dir, { env: () => undefined });
      const running = runLive(
        { env: () => undefined, stderr: () => {} },
        { file: `${dir}/agent.yaml`, config },
        {
          sink,
          track: false,
          clearance,
          intercept: {
            dnsResolver: (h) => {
              lookups.push(h);
              return Promise.resolve(["127.0.0.1"]);
            },
            localOrigins: [`127.0.0.1:${port}`],
          },
          onEvent: (e) => {
            if (e.type === EGRESS_PENDING) pendingSeen(e);
          },
        },
      );
      await pending;
      equal(hits.length, 0, "held: nothing reached the upstream");
      equal(lookups.length, 0, "held: nothing resolved");
      // The operator, in other processes: list, then allow.
      const listed = await zu(dir, "pending", "--db", db, "--json");
      equal(listed.code, 0, listed.stderr);
      const row = (JSON.parse(listed.stdout) as { kind: string; id: string; host?: string }[])
        .find((r) => r.kind === "clearance");
      ok(row, listed.stdout);
      equal(row.host, "cleared.test");
      const allowed = await zu(dir, "clear", "allow", row.id, "--db", db, "--by", "e2e");
      equal(allowed.code, 0, allowed.stderr);
      const run = await running;
      equal(run.result.result.status, "success");
      equal(hits.join(","), "/page");
      const events = run.events;
      const decision = events.find((e) => e.type === EGRESS_CLEARANCE)!;
      equal((decision.payload as { decision: string }).decision, "allow");
      equal((decision.payload as { outcome: string }).outcome, "forwarded");
      match(String((decision.payload as { actor: string }).actor), /e2e/);
      // The tool got the upstream's answer (the log keeps its status and length, not its text).
      const returned = events.find((e) => e.type === "harness.tool.returned")!;
      const observation =
        (returned.payload as { observation: Record<string, unknown> }).observation;
      equal(observation.status, 200);
      equal(observation.text_len, "hello-from-cleared".length);
    } finally {
      await sink.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
