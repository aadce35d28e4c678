/**
 * The set-based batch append (`zu_append_batch`) and the writer connection shared by a process's
 * sinks, attacked: 3 `deno run` children, each with 4 sinks, append at once a shuffled mix of
 * events already stored, events every child appends too (conflicting ids), and their own new
 * events, on shared traces. Every id is stored once, every acknowledgement is the stored copy,
 * and each trace is one gap-free chain. A version-1 schema migrates on open; the NOTIFY queued
 * behind an append runs after its commit.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { verifyChain } from "../../core/chain.ts";
import { type Event, newEvent } from "../../core/events.ts";
import { pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";
import { spawnPgWriter } from "./testdata/spawn_writer.ts";
import { PostgresSink } from "./postgres_sink.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const url = async () => (await (server ??= pgServerForTest())).url;
const trace = (n: number) => `bbbbbbbb-0000-4000-8000-${String(n % 4).padStart(12, "0")}`;
const ev = (n: number): Event =>
  newEvent({ task_id: trace(n), type: "harness.turn.started", payload: { n } });

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function runWriter(u: string, s: string, events: Event[]): Promise<string[]> {
  const child = spawnPgWriter(u, "pg_mixed_writer.ts", [s, 4], { stdin: true });
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(events)));
  await w.close();
  const [out, err, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  assert.ok(status.success, err);
  return out.split("\n").filter((l) => l.length > 0);
}

pgTest(
  "Batches mixing stored, conflicting and new events from 3 processes store each once, chains intact",
  async () => {
    const u = await url();
    const s = `mx_${crypto.randomUUID().slice(0, 8)}`;
    const stored = Array.from({ length: 20 }, (_, i) => ev(i));
    {
      await using sink = await PostgresSink.open(u, { schema: s, notify: false, maxBatch: 100 });
      await Promise.all(stored.map((e) => sink.append(e)));
    }
    const shared = Array.from({ length: 40 }, (_, i) => ev(i));
    const own = [0, 1, 2].map(() => Array.from({ length: 20 }, (_, i) => ev(i)));
    const acks = await Promise.all(
      own.map((mine) => runWriter(u, s, shuffled([...stored, ...shared, ...mine]))),
    );
    const sql = postgres(u, { max: 1, onnotice: () => {} });
    const rows = await sql.unsafe(
      `select event_id, trace_id, trace_pos, seq::int8 as seq, hash from ${s}.zu_events ` +
        "order by trace_id, trace_pos",
    );
    await sql.end();
    // Each id once; every acknowledgement (60 + 20 per process) is the stored row's hash.
    assert.equal(rows.length, 20 + 40 + 3 * 20);
    const hashOf = new Map(rows.map((r) => [r.event_id as string, r.hash as string]));
    assert.equal(hashOf.size, rows.length);
    for (const lines of acks) {
      assert.equal(lines.length, 20 + 40 + 20);
      for (const l of lines) {
        const [id, hash] = l.split(" ");
        assert.equal(hashOf.get(id!), hash, `ack of ${id} is not the stored copy`);
      }
    }
    // Every trace: positions 1..n, seq order = chain order, chain verifies.
    await using sink = await PostgresSink.open(u, { schema: s, notify: false });
    const traces = new Set(rows.map((r) => r.trace_id as string));
    assert.equal(traces.size, 4);
    for (const t of traces) {
      const list = rows.filter((r) => r.trace_id === t);
      list.forEach((r, i) => {
        assert.equal(r.trace_pos, i + 1, `gap in trace ${t}`);
        if (i > 0) assert.ok(Number(r.seq) > Number(list[i - 1]!.seq), `trace ${t}: seq order`);
      });
      assert.deepEqual(verifyChain(await sink.query({ trace_id: t })), [], `trace ${t}`);
    }
  },
);

pgTest("A version-1 schema is migrated to version 2 on open and takes batch appends", async () => {
  const u = await url();
  const s = `mv_${crypto.randomUUID().slice(0, 8)}`;
  const first = ev(0);
  {
    await using sink = await PostgresSink.open(u, { schema: s, notify: false });
    await sink.append(first);
  }
  // Back to what version 1 left: no zu_append_batch, version row 1.
  const sql = postgres(u, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop function ${s}.zu_append_batch`);
    await sql.unsafe(`delete from ${s}.zu_schema`);
    await sql.unsafe(`insert into ${s}.zu_schema (version) values (1)`);
    await using sink = await PostgresSink.open(u, { schema: s, notify: false, maxBatch: 100 });
    const batch = Array.from({ length: 10 }, (_, i) => ev(i));
    const stored = await Promise.all([first, ...batch].map((e) => sink.append(e)));
    assert.equal(stored[0]!.hash, (await sink.query({ trace_id: first.trace_id }))[0]!.hash);
    assert.equal(await sink.count(), 11);
    const [fn] = await sql.unsafe(`select to_regprocedure($1) is not null as ok`, [
      `${s}.zu_append_batch(text[], text[], text[], text[], text[], text[], integer[], text[], ` +
      "text[], text[], smallint[], bytea, integer[], text[], text[], text[])",
    ]);
    assert.equal(fn!.ok, true);
    const versions = await sql.unsafe(`select version from ${s}.zu_schema order by 1`);
    assert.deepEqual(versions.map((r) => r.version), [1, 2]);
  } finally {
    await sql.end();
  }
});

pgTest("The NOTIFY queued behind an append wakes a tail after the commit, not before", async () => {
  const u = await url();
  const s = `nt_${crypto.randomUUID().slice(0, 8)}`;
  await using reader = await PostgresSink.open(u, { schema: s });
  await using writer = await PostgresSink.open(u, { schema: s, notifyDebounceMs: 0 });
  // The poll is a minute away: a NOTIFY that ran before the commit would leave the tail waiting.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  const it = reader.tail(undefined, { signal: ac.signal, pollMs: 60_000 });
  try {
    for (const n of [1, 5, 1, 3, 1]) {
      const next = it.next();
      const events = Array.from({ length: n }, (_, i) => ev(i));
      await Promise.all(events.map((e) => writer.append(e)));
      const first = await next;
      assert.equal(first.done, false, "the tail stopped before the events came");
      assert.equal(first.value!.event.event_id, events[0]!.event_id);
      for (const e of events.slice(1)) {
        assert.equal((await it.next()).value!.event.event_id, e.event_id);
      }
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
    await it.return(undefined);
  }
});

pgTest("batch: the server stops", async () => {
  if (server) await (await server).stop();
});
