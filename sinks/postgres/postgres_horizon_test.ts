/**
 * The commit-order gap, attacked: a transaction that inserts first and commits last. A naive
 * `seq > cursor` reader misses its row forever (the control); the `(xid, seq)` horizon reader of
 * PostgresSink never does, under 16 writers with random delays and a reader polling every 1 ms,
 * and a long transaction elsewhere only delays it. A consumer resumes from its stored cursor.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { linkEvent } from "../../core/chain.ts";
import { encodePayloadSync, IdentityCodec, rowAad } from "../../core/codec.ts";
import { type Event, newEvent } from "../../core/events.ts";
import { toZuJson } from "../../core/json.ts";
import { pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";
import { holdTransaction } from "../../testing/pg_hold.ts";
import { type PgCursor, PostgresSink, START_CURSOR } from "./postgres_sink.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const url = async () => (await (server ??= pgServerForTest())).url;
const schema = () => `hz_${crypto.randomUUID().slice(0, 8)}`;
const identity = new IdentityCodec();

type Tx = postgres.TransactionSql;

/** Appends `event` after `head` (its trace's last position and hash) inside the open `tx`. */
async function appendIn(
  tx: Tx,
  s: string,
  event: Event,
  head: { pos: number; hash: string | null },
): Promise<Event> {
  const linked = linkEvent(event, head.hash);
  const blob = encodePayloadSync(identity, toZuJson(linked), rowAad(linked));
  const [r] = await tx.unsafe(
    `select r_status from ${s}.zu_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      linked.event_id,
      linked.trace_id,
      linked.task_id,
      null,
      linked.type,
      linked.source,
      head.pos,
      linked.prev_hash,
      linked.hash,
      null,
      0,
      blob,
      null,
      // deno-lint-ignore no-explicit-any
    ] as any[],
  );
  assert.equal(r?.r_status, "ok");
  head.pos++;
  head.hash = linked.hash;
  return linked;
}

const ev = (task: string) => newEvent({ task_id: task, type: "harness.turn.started" });

function naiveAfter(sql: postgres.Sql, s: string, after: number) {
  return sql.unsafe(
    `select seq::int8 as seq, event_id from ${s}.zu_events where seq > $1 order by seq`,
    [
      after,
    ],
  );
}

pgTest("A naive seq reader misses a late commit; the horizon reader waits for it", async () => {
  const s = schema();
  await using sink = await PostgresSink.open(await url(), { schema: s });
  const sql = postgres(await url(), { max: 4, onnotice: () => {} });
  try {
    const a = ev("aaaaaaaa-0000-4000-8000-000000000000");
    const txA = await holdTransaction(sql, (tx) => appendIn(tx, s, a, { pos: 0, hash: null }));
    const b = await sink.append(ev("bbbbbbbb-0000-4000-8000-000000000000"));
    // While A is open: the naive reader sees B and moves past A's seq; the horizon sees nothing.
    const naive = await naiveAfter(sql, s, 0);
    assert.deepEqual(naive.map((r) => r.event_id), [b.event_id]);
    const naiveCursor = Number(naive[0]!.seq);
    assert.deepEqual(await sink.readCommitted(undefined, START_CURSOR), []);
    await txA.release();
    assert.equal(
      (await naiveAfter(sql, s, naiveCursor)).length,
      0,
      "the naive reader lost A forever",
    );
    const got = await sink.readCommitted(undefined, START_CURSOR);
    assert.deepEqual(got.map((i) => i.event.event_id), [a.event_id, b.event_id]);
  } finally {
    await sql.end();
  }
});

pgTest(
  "16 writers with random commit delays: the 1 ms horizon reader's set equals the table",
  async () => {
    const s = schema();
    const u = await url();
    await using reader = await PostgresSink.open(u, { schema: s, notify: false });
    const sql = postgres(u, { max: 8, onnotice: () => {} });
    const sinks = await Promise.all(
      [0, 1, 2, 3].map(() => PostgresSink.open(u, { schema: s, notify: false })),
    );
    const ROUNDS = 30;
    let writing = true;
    try {
      const writers: Promise<void>[] = [];
      // 8 writers: each its own trace, every insert held open 0-4 ms before commit.
      for (let w = 0; w < 8; w++) {
        writers.push((async () => {
          const head = { pos: 0, hash: null as string | null };
          const task = `00000000-0000-4000-8000-0000000000${String(w).padStart(2, "0")}`;
          for (let r = 0; r < ROUNDS; r++) {
            await sql.begin(async (tx) => {
              await appendIn(tx, s, ev(task), head);
              await new Promise((res) => setTimeout(res, Math.random() * 4));
            });
          }
        })());
      }
      // 8 more through PostgresSink on 3 shared traces (group commit, per-trace lock).
      for (let w = 0; w < 8; w++) {
        writers.push((async () => {
          const sink = sinks[w % 4]!;
          for (let r = 0; r < ROUNDS; r++) {
            await sink.append(ev(`ffffffff-0000-4000-8000-00000000000${r % 3}`));
            if (Math.random() < 0.3) await new Promise((res) => setTimeout(res, Math.random() * 3));
          }
        })());
      }
      const done = Promise.all(writers).finally(() => writing = false);
      const seen = new Set<string>();
      const naiveSeen = new Set<string>();
      let cursor: PgCursor = START_CURSOR;
      let naiveCursor = 0;
      let polls = 0;
      const deadline = Date.now() + 20_000;
      const total = 16 * ROUNDS;
      while (Date.now() < deadline) {
        polls++;
        for (const item of await reader.readCommitted(undefined, cursor, 1000)) {
          assert.ok(!seen.has(item.event.event_id), "delivered twice");
          seen.add(item.event.event_id);
          cursor = item.cursor;
        }
        for (const r of await naiveAfter(sql, s, naiveCursor)) {
          naiveSeen.add(r.event_id);
          naiveCursor = Number(r.seq);
        }
        if (!writing && seen.size >= total) break;
        await new Promise((res) => setTimeout(res, 1));
      }
      await done;
      const table = (await sql.unsafe(`select event_id from ${s}.zu_events`)).map((r) =>
        r.event_id
      );
      assert.equal(table.length, total);
      assert.deepEqual([...seen].sort(), table.sort());
      console.log(
        `${polls} polls; horizon reader: ${seen.size}/${total}; naive reader missed ${
          total - naiveSeen.size
        }`,
      );
    } finally {
      for (const k of sinks) await k.close();
      await sql.end();
    }
  },
);

pgTest("A long read-only transaction elsewhere holds no xid and delays no reader", async () => {
  const s = schema();
  await using sink = await PostgresSink.open(await url(), { schema: s });
  const sql = postgres(await url(), { max: 1, onnotice: () => {} });
  try {
    // A snapshot, no transaction id.
    const reading = await holdTransaction(sql, (tx) => tx.unsafe("select count(*) from pg_class"));
    const appended: string[] = [];
    for (let i = 0; i < 5; i++) {
      appended.push((await sink.append(ev("dddddddd-0000-4000-8000-000000000000"))).event_id);
    }
    const got = await sink.readCommitted(undefined, START_CURSOR);
    assert.deepEqual(got.map((i) => i.event.event_id), appended, "the horizon did not wait");
    assert.equal(await sink.storeLagMs(), 0);
    await reading.release();
  } finally {
    await sql.end();
  }
});

pgTest("A long transaction elsewhere delays the horizon reader and it skips nothing", async () => {
  const s = schema();
  await using sink = await PostgresSink.open(await url(), { schema: s });
  const sql = postgres(await url(), { max: 2, onnotice: () => {} });
  try {
    // Holds an xid, touches no zu table.
    const long = await holdTransaction(sql, (tx) => tx.unsafe("select pg_current_xact_id()"));
    const appended: string[] = [];
    for (let i = 0; i < 20; i++) {
      appended.push((await sink.append(ev("cccccccc-0000-4000-8000-000000000000"))).event_id);
    }
    assert.equal(await sink.count(), 20, "seq readers see the rows at once");
    assert.deepEqual(await sink.readCommitted(undefined, START_CURSOR), [], "the horizon waits");
    assert.ok(await sink.storeLagMs() > 0);
    await long.release();
    const got = await sink.readCommitted(undefined, START_CURSOR);
    assert.deepEqual(got.map((i) => i.event.event_id), appended);
  } finally {
    await sql.end();
  }
});

pgTest("A consumer stores its cursor and resumes after it", async () => {
  const s = schema();
  await using sink = await PostgresSink.open(await url(), { schema: s });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    ids.push((await sink.append(ev("dddddddd-0000-4000-8000-000000000000"))).event_id);
  }
  assert.equal(await sink.loadCursor("exporter"), null);
  const first = await sink.readCommitted(undefined, START_CURSOR, 4);
  await sink.saveCursor("exporter", first.at(-1)!.cursor);
  await using again = await PostgresSink.open(await url(), { schema: s });
  const cursor = await again.loadCursor("exporter");
  assert.deepEqual(cursor, first.at(-1)!.cursor);
  const rest = await again.readCommitted(undefined, cursor!);
  assert.deepEqual([...first, ...rest].map((i) => i.event.event_id), ids);
});

pgTest("horizon: the server stops", async () => {
  if (server) await (await server).stop();
});
