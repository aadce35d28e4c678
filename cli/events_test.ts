import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { newEvent } from "../core/events.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { type CapturedIo, captureIo } from "./_io.ts";
import { main } from "./main.ts";

async function withLog(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_events_" });
  try {
    const init = captureIo({ cwd: dir });
    equal(await main(["init", "a"], init), 0);
    for (let i = 0; i < 2; i++) {
      const io = captureIo({ cwd: dir });
      equal(await main(["replay", "a", "--db", "events.db"], io), 0, io.stderrText());
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function zu(dir: string, ...args: string[]): Promise<[number, CapturedIo]> {
  const io = captureIo({ cwd: dir });
  const code = await main(args, io);
  return [code, io];
}

function dbRows(path: string): { seq: number; event_id: string; type: string }[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT seq, event_id, type FROM events ORDER BY seq").all() as {
      seq: number;
      event_id: string;
      type: string;
    }[];
  } finally {
    db.close();
  }
}

Deno.test("zu events list prints every stored event in order and applies the filters", async () => {
  await withLog(async (dir) => {
    const rows = dbRows(`${dir}/events.db`);
    const [code, io] = await zu(dir, "events", "list", "--db", "events.db");
    equal(code, 0);
    const lines = io.stdoutText().trimEnd().split("\n");
    equal(lines.length, rows.length);
    ok(lines[0]!.includes(rows[0]!.event_id));
    const [, typed] = await zu(
      dir,
      "events",
      "list",
      "--db",
      "events.db",
      "--type",
      "harness.task.started",
      "--json",
    );
    const started = JSON.parse(typed.stdoutText());
    equal(started.length, 2);
    equal(new Set(started.map((e: { trace_id: string }) => e.trace_id)).size, 2);
    const [, after] = await zu(
      dir,
      "events",
      "list",
      "--db",
      "events.db",
      "--after-seq",
      "5",
      "--limit",
      "3",
      "--json",
    );
    deepEqual(JSON.parse(after.stdoutText()).map((e: { seq: number }) => e.seq), [6, 7, 8]);
    const trace = started[1].trace_id;
    const [, byTrace] = await zu(
      dir,
      "events",
      "list",
      "--db",
      "events.db",
      "--trace",
      trace,
      "--json",
    );
    ok(JSON.parse(byTrace.stdoutText()).every((e: { trace_id: string }) => e.trace_id === trace));
  });
});

Deno.test("zu events show prints one event, and exits 1 for an unknown id", async () => {
  await withLog(async (dir) => {
    const id = dbRows(`${dir}/events.db`)[3]!.event_id;
    const [code, io] = await zu(dir, "events", "show", id, "--db", "events.db");
    equal(code, 0);
    equal(JSON.parse(io.stdoutText()).event_id, id);
    const [missing, err] = await zu(
      dir,
      "events",
      "show",
      "00000000-0000-4000-8000-000000000000",
      "--db",
      "events.db",
    );
    equal(missing, 1);
    match(err.stderrText(), /no event/);
  });
});

Deno.test("zu events export writes JSON lines that zu events reads back as a JSONL log", async () => {
  await withLog(async (dir) => {
    const rows = dbRows(`${dir}/events.db`);
    const [code, io] = await zu(dir, "events", "export", "--db", "events.db", "--format", "jsonl");
    equal(code, 0);
    const lines = io.stdoutText().trimEnd().split("\n").map((l) => JSON.parse(l));
    deepEqual(lines.map((e) => e.event_id), rows.map((r) => r.event_id));
    const [toFile] = await zu(dir, "events", "export", "--db", "events.db", "--out", "trace.jsonl");
    equal(toFile, 0);
    const [listed, jl] = await zu(dir, "events", "list", "--db", "trace.jsonl", "--json");
    equal(listed, 0, jl.stderrText());
    deepEqual(
      JSON.parse(jl.stdoutText()).map((e: { event_id: string }) => e.event_id),
      rows.map((r) => r.event_id),
    );
    const [verified, v] = await zu(dir, "events", "verify", "--db", "trace.jsonl");
    equal(verified, 0, v.stdoutText());
  });
});

Deno.test("zu events verify passes intact chains and fails (exit 1) on a tampered row", async () => {
  await withLog(async (dir) => {
    const [code, io] = await zu(dir, "events", "verify", "--db", "events.db");
    equal(code, 0, io.stdoutText());
    match(io.stdoutText(), /2\/2 traces intact/);
    const db = new DatabaseSync(`${dir}/events.db`);
    const row = db.prepare(
      "SELECT seq, data FROM events WHERE type = 'data.source.fetched' LIMIT 1",
    ).get() as {
      seq: number;
      data: Uint8Array;
    };
    const text = new TextDecoder().decode(row.data.subarray(1)).replace("39.90", "19.90");
    const tampered = new Uint8Array([row.data[0]!, ...new TextEncoder().encode(text)]);
    db.prepare("UPDATE events SET data = ? WHERE seq = ?").run(tampered, row.seq);
    db.close();
    const [bad, out] = await zu(dir, "events", "verify", "--db", "events.db", "--json");
    equal(bad, 1);
    const report = JSON.parse(out.stdoutText());
    equal(report.ok, false);
    ok(report.traces.some((t: { violations: string[] }) => t.violations.length > 0));
  });
});

Deno.test("zu events verify --key-env checks signatures and needs the variable set", async () => {
  await withLog(async (dir) => {
    const io = captureIo({ cwd: dir, env: { SIGN: "33".repeat(32) } });
    equal(await main(["events", "verify", "--db", "events.db", "--key-env", "SIGN"], io), 1);
    match(io.stdoutText(), /FAIL/);
    const [missing, err] = await zu(
      dir,
      "events",
      "verify",
      "--db",
      "events.db",
      "--key-env",
      "NOPE",
    );
    equal(missing, 2);
    match(err.stderrText(), /^error: .*\$NOPE is not set/);
  });
});

Deno.test("zu events stats counts events by type across traces", async () => {
  await withLog(async (dir) => {
    const rows = dbRows(`${dir}/events.db`);
    const [code, io] = await zu(dir, "events", "stats", "--db", "events.db", "--json");
    equal(code, 0);
    const s = JSON.parse(io.stdoutText());
    equal(s.events, rows.length);
    equal(s.traces, 2);
    equal(s.by_type["harness.task.started"], 2);
  });
});

Deno.test("zu events tail prints the last events and, with --follow, new ones until interrupted", async () => {
  await withLog(async (dir) => {
    const rows = dbRows(`${dir}/events.db`);
    const [code, io] = await zu(dir, "events", "tail", "--db", "events.db", "--limit", "2");
    equal(code, 0);
    const lines = io.stdoutText().trimEnd().split("\n");
    equal(lines.length, 2);
    ok(lines[1]!.includes(rows.at(-1)!.event_id));

    const controller = new AbortController();
    const fresh = newEvent({
      task_id: crypto.randomUUID(),
      type: "harness.task.started",
      payload: {},
    });
    // The follower first prints the newest stored event; only then is the fresh one appended, so
    // the fresh event cannot be part of the initial read (no race, no sleep).
    let started = (): void => {};
    const ready = new Promise<void>((resolve) => (started = resolve));
    let seen = (): void => {};
    const printed = new Promise<void>((resolve) => (seen = resolve));
    const follow = captureIo({ cwd: dir, signal: controller.signal });
    const stdout = follow.stdout;
    follow.stdout = (t: string) => {
      stdout(t);
      if (t.includes(rows.at(-1)!.event_id)) started();
      if (t.includes(fresh.event_id)) seen();
    };
    const running = main(
      ["events", "tail", "--db", "events.db", "--limit", "1", "--follow", "--interval-ms", "50"],
      follow,
    );
    await ready;
    const sink = new SqliteSink(`${dir}/events.db`);
    await sink.append(fresh);
    await sink.close();
    await printed;
    controller.abort();
    equal(await running, 0);
    const followed = follow.stdoutText().trimEnd().split("\n");
    equal(followed.length, 2);
    ok(followed[1]!.includes(fresh.event_id));
  });
});

Deno.test("zu events list --json prints integers past 2^53 (as the Python zu writes them) as the numbers they are", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_events_big_" });
  try {
    const sink = new SqliteSink(`${dir}/e.db`);
    await sink.append(
      newEvent({ task_id: "t", type: "harness.task.started", payload: { big: 9007199254740993n } }),
    );
    await sink.close();
    const [code, io] = await zu(dir, "events", "list", "--db", "e.db", "--json");
    equal(code, 0, io.stderrText());
    // 2^53 + 1 is not a double: JSON.stringify refuses the bigint, a lossy print says ...992.
    match(io.stdoutText(), /"big": 9007199254740993\b/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
