import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { verifyChain } from "../core/chain.ts";
import type { Event } from "../core/events.ts";
import { parseEventJson } from "../core/json.ts";
import { loadAgent } from "./_agent.ts";
import { openReadLog } from "./_event_log.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

// A signed, filtered, traced log written through `zu run` from agent.yaml alone.

const KEY_HEX = "5a".repeat(32);
const KEY = new Uint8Array(32).fill(0x5a);

function agentYaml(sinks: string): string {
  return `provider:
  name: scripted
  script:
    - text: '{"answer": "42"}'
plugins:
  detectors: []
  validators: []
${sinks}
task:
  query: What is the answer?
`;
}

const SINKS = `event_sink:
  driver: sqlite
  path: logs/events.db
  options:
    sign_key_env: ZU_TEST_SIGN_KEY
    filter_fields: [tenant]
    busy_timeout_ms: 2000
    max_batch: 50
trace_sinks:
  - driver: jsonl
    path: logs/trace.jsonl
    options: { durable: true }`;

async function withAgent(
  yaml: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_run_sinks_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function storedEvents(path: string): { events: Event[]; indexed: string[] } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT CAST(substr(data, 2) AS TEXT) AS body, substr(data, 1, 1) AS v FROM events ORDER BY seq",
    )
      .all() as { body: string; v: Uint8Array }[];
    for (const r of rows) equal(r.v[0], 0, "rows are plain (encryption: none)");
    const indexed = (db.prepare("SELECT DISTINCT field FROM event_index").all() as {
      field: string;
    }[]).map((r) => r.field);
    return { events: rows.map((r) => parseEventJson(r.body)), indexed };
  } finally {
    db.close();
  }
}

Deno.test("zu run writes a signed, filtered, traced log from agent.yaml alone", async () => {
  await withAgent(agentYaml(SINKS), async (dir) => {
    const io = captureIo({ cwd: dir, env: { ZU_TEST_SIGN_KEY: KEY_HEX } });
    const code = await main(["run", dir, "--json"], io);
    equal(code, 0, io.stderrText() + io.stdoutText());
    const out = JSON.parse(io.stdoutText());
    equal(out.db, `${dir}/logs/events.db`);

    const { events, indexed } = storedEvents(`${dir}/logs/events.db`);
    equal(events.length, out.events);
    ok(events.length >= 3, `only ${events.length} events`);
    equal(events[0]!.type, "harness.task.started");
    for (const e of events) match(e.sig ?? "", /^[0-9a-f]{64}$/, `${e.type} is unsigned`);
    deepEqual(verifyChain(events, { key: KEY }), []);
    ok(verifyChain(events, { key: new Uint8Array(32) }).length > 0, "a wrong key verified");
    // filter_fields: only the configured ctx field is ever indexed, every other field is absent
    ok(indexed.every((f) => f === "tenant"), `unexpected indexed fields ${indexed}`);
    // ... and the log, opened for reading with the agent's block, filters on it
    const agent = await loadAgent(captureIo({ cwd: dir }), dir);
    const reader = await openReadLog(captureIo({ cwd: dir }), agent, undefined);
    try {
      equal((await reader.query({ tenant: null })).length, events.length);
      equal((await reader.query({ tenant: "acme" })).length, 0);
    } finally {
      await reader.close();
    }

    // the JSONL trace holds the same events, with the canonical sink's hashes and signatures
    const trace = (await Deno.readTextFile(`${dir}/logs/trace.jsonl`)).trim().split("\n")
      .map((l) => parseEventJson(l));
    deepEqual(
      trace.map((e) => [e.event_id, e.type, e.hash, e.sig]),
      events.map((e) => [e.event_id, e.type, e.hash, e.sig]),
    );
    deepEqual(verifyChain(trace, { key: KEY }), []);

    // zu events verify takes the agent's sign_key_env by default
    const v = captureIo({ cwd: dir, env: { ZU_TEST_SIGN_KEY: KEY_HEX } });
    equal(await main(["events", "verify", "--agent", dir], v), 0, v.stderrText());
    match(v.stdoutText(), /1\/1 traces intact \(signatures checked\)/);
    // and refuses to report "intact" without checking them
    const nokey = captureIo({ cwd: dir });
    equal(await main(["events", "verify", "--agent", dir], nokey), 2);
    match(nokey.stderrText(), /ZU_TEST_SIGN_KEY is not set/);
  });
});

Deno.test("zu run with --db keeps the agent's signing key and trace sink", async () => {
  await withAgent(agentYaml(SINKS), async (dir) => {
    const io = captureIo({ cwd: dir, env: { ZU_TEST_SIGN_KEY: KEY_HEX } });
    equal(await main(["run", dir, "--db", "other.db"], io), 0, io.stderrText());
    const { events } = storedEvents(`${dir}/other.db`);
    ok(events.length >= 3);
    deepEqual(verifyChain(events, { key: KEY }), []);
    const trace = (await Deno.readTextFile(`${dir}/logs/trace.jsonl`)).trim().split("\n");
    equal(trace.length, events.length);
  });
});

async function badConfig(sinks: string, env: Record<string, string>, re: RegExp): Promise<void> {
  await withAgent(agentYaml(sinks), async (dir) => {
    const io = captureIo({ cwd: dir, env });
    const code = await main(["run", dir], io);
    equal(code, 2, io.stderrText() + io.stdoutText());
    const lines = io.stderrText().trim().split("\n");
    equal(lines.length, 1, io.stderrText());
    match(lines[0]!, /^error: /);
    match(lines[0]!, re);
    // nothing was written
    for (const p of ["logs", ".zu"]) {
      let found = true;
      try {
        await Deno.stat(`${dir}/${p}`);
      } catch {
        found = false;
      }
      equal(found, false, `${p} was created`);
    }
  });
}

Deno.test("zu run refuses an unknown sink driver in one line, naming the known ones (exit 2)", async () => {
  await badConfig(
    "event_sink: { driver: mysql }",
    {},
    /event_sink\.driver "mysql" is not a known sink driver \(known: "jsonl", "memory", "postgres", "sqlite"\)/,
  );
});

Deno.test("zu run refuses an unset sign_key_env variable instead of writing unsigned (exit 2)", async () => {
  await badConfig(
    SINKS,
    {},
    /signing key variable "ZU_TEST_SIGN_KEY" \(options\.sign_key_env\) is not set/,
  );
});

Deno.test("zu run refuses an unknown sink key, naming it (exit 2)", async () => {
  await badConfig(
    "event_sink: { driver: sqlite, options: { sign_key: abc } }",
    {},
    /event_sink\.options\.sign_key is not an option of driver "sqlite"/,
  );
  await badConfig(
    "trace_sinks: [{ driver: jsonl, rotate: daily }]",
    {},
    /trace_sinks\[0\]\.rotate is not a sink key/,
  );
});
