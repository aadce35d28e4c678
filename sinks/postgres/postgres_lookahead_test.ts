/**
 * The lookahead of the PostgreSQL appender (appends queued behind an in-flight batch are linked
 * and encoded while it runs, on the heads it will leave), attacked: waves of appends arriving
 * while batches are in flight (so the next batch is sometimes a prepared prefix plus more),
 * repeats of an event id split across waves, an event that cannot be encoded queued behind a
 * batch, and a writer in another process moving the heads under a queued stream (so prepared
 * batches must be thrown away). Every id is stored once, in call order per trace, every
 * acknowledgement is the stored copy, and every chain verifies.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { verifyChain } from "../../core/chain.ts";
import { type Event, newEvent } from "../../core/events.ts";
import { pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";
import { spawnPgWriter } from "./testdata/spawn_writer.ts";
import { ManagedAesGcmCodec, StaticKeyProvider } from "../encryption/mod.ts";
import { PostgresSink } from "./postgres_sink.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const url = async () => (await (server ??= pgServerForTest())).url;
const trace = (n: number) => `cccccccc-0000-4000-8000-${String(n % 3).padStart(12, "0")}`;
const ev = (n: number): Event =>
  newEvent({ task_id: trace(n), type: "harness.turn.started", payload: { n } });

interface Row {
  event_id: string;
  trace_id: string;
  trace_pos: number;
  hash: string;
}

async function storedRows(u: string, s: string): Promise<Row[]> {
  const sql = postgres(u, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(
      `select event_id, trace_id, trace_pos, hash from ${s}.zu_events order by trace_id, trace_pos`,
    )) as unknown as Row[];
  } finally {
    await sql.end();
  }
}

/** Per trace: positions 1..n and the chain verifies. */
async function assertChains(u: string, s: string, rows: Row[]): Promise<void> {
  await using sink = await PostgresSink.open(u, { schema: s, notify: false });
  for (const t of new Set(rows.map((r) => r.trace_id))) {
    const list = rows.filter((r) => r.trace_id === t);
    list.forEach((r, i) => assert.equal(r.trace_pos, i + 1, `gap in trace ${t}`));
    assert.deepEqual(verifyChain(await sink.query({ trace_id: t }, { limit: 10_000 })), []);
  }
}

/** `ids` (call order, one trace) appear in `rows` in the same order. */
function assertCallOrder(rows: Row[], ids: string[]): void {
  const pos = new Map(rows.map((r) => [r.event_id, r.trace_pos]));
  for (let i = 1; i < ids.length; i++) {
    assert.ok(pos.get(ids[i]!)! > pos.get(ids[i - 1]!)!, `${ids[i]} stored before ${ids[i - 1]}`);
  }
}

pgTest(
  "Waves of appends queued behind in-flight batches are stored once each, in call order",
  async () => {
    const u = await url();
    const s = `la_${crypto.randomUUID().slice(0, 8)}`;
    await using sink = await PostgresSink.open(u, { schema: s, notify: false, maxBatch: 40 });
    const called: Event[] = [];
    const acks: Promise<PromiseSettledResult<Event>>[] = [];
    const append = (e: Event) => {
      called.push(e);
      // Settled as it comes: an append refused while others are in flight is no stray rejection.
      acks.push(
        sink.append(e).then(
          (value) => ({ status: "fulfilled", value }),
          (reason) => ({ status: "rejected", reason }),
        ),
      );
    };
    // A payload no JSON can hold, queued behind a full batch (prepared ahead, while one runs).
    const cyclic: Record<string, unknown> = { n: -1 };
    cyclic.self = cyclic;
    const bad = newEvent({ task_id: trace(0), type: "harness.turn.started", payload: cyclic });
    let n = 0;
    for (let wave = 0; wave < 12; wave++) {
      const size = [130, 7, 55, 1][wave % 4]!;
      for (let i = 0; i < size; i++) append(ev(n++));
      // Repeats of earlier ids, in this wave and the next one.
      append(called[Math.floor(called.length / 2)]!);
      if (wave === 3) append(bad);
      // Let a batch go out and the next one be prepared before the next wave arrives.
      await new Promise((r) => setTimeout(r, wave % 3));
    }
    const settled = await Promise.all(acks);
    const rows = await storedRows(u, s);
    const hashOf = new Map(rows.map((r) => [r.event_id, r.hash]));
    const unique = [...new Set(called.map((e) => e.event_id))].filter((id) => id !== bad.event_id);
    assert.equal(rows.length, unique.length);
    assert.equal(hashOf.size, rows.length);
    settled.forEach((r, i) => {
      const id = called[i]!.event_id;
      if (id === bad.event_id) {
        assert.equal(r.status, "rejected");
        assert.match(String((r as PromiseRejectedResult).reason), /not JSON-serialisable/);
        return;
      }
      assert.equal(
        r.status,
        "fulfilled",
        `append of ${id}: ${(r as PromiseRejectedResult).reason}`,
      );
      assert.equal((r as PromiseFulfilledResult<Event>).value.hash, hashOf.get(id));
    });
    for (let t = 0; t < 3; t++) {
      const ids = [...new Set(called.filter((e) => e.trace_id === trace(t)).map((e) => e.event_id))]
        .filter((id) => id !== bad.event_id);
      assertCallOrder(rows, ids);
    }
    await assertChains(u, s, rows);
  },
);

pgTest(
  "A writer in another process moving the heads under a queued stream breaks no chain",
  async () => {
    const u = await url();
    const s = `lm_${crypto.randomUUID().slice(0, 8)}`;
    await using sink = await PostgresSink.open(u, { schema: s, notify: false, maxBatch: 50 });
    await sink.append(ev(0)); // the schema exists before the child opens it
    const theirs = Array.from({ length: 2000 }, (_, i) => ev(i));
    const child = spawnPgWriter(u, "pg_mixed_writer.ts", [s, 3], { stdin: true });
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify(theirs)));
    await w.close();
    let exited = false;
    const done = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.status,
    ]).finally(() => exited = true);
    // Queued streams of this sink, until the child is done (bounded): its appends land between
    // this sink's batches, moving the heads its prepared batches were linked on.
    const mine: Event[] = [];
    const acks: Event[] = [];
    for (let round = 0; round < 40 && !exited; round++) {
      const wave = Array.from({ length: 600 }, (_, i) => ev(i));
      mine.push(...wave);
      acks.push(...await Promise.all(wave.map((e) => sink.append(e))));
    }
    const [out, err, status] = await done;
    assert.ok(status.success, err);
    const rows = await storedRows(u, s);
    assert.equal(rows.length, 1 + theirs.length + mine.length);
    const hashOf = new Map(rows.map((r) => [r.event_id, r.hash]));
    acks.forEach((a) => assert.equal(a.hash, hashOf.get(a.event_id)));
    for (const l of out.split("\n").filter((x) => x.length > 0)) {
      const [id, hash] = l.split(" ");
      assert.equal(hashOf.get(id!), hash, `the child's ack of ${id} is not the stored copy`);
    }
    // The two streams did interleave on a trace (else nothing was attacked).
    const ours = new Set(mine.map((e) => e.event_id));
    const switches = rows.filter((r, i) =>
      i > 0 && rows[i - 1]!.trace_id === r.trace_id &&
      ours.has(rows[i - 1]!.event_id) !== ours.has(r.event_id)
    ).length;
    assert.ok(switches > 3, `the streams did not interleave (${switches} switches)`);
    for (let t = 0; t < 3; t++) {
      assertCallOrder(rows, mine.filter((e) => e.trace_id === trace(t)).map((e) => e.event_id));
    }
    await assertChains(u, s, rows);
  },
);

pgTest(
  "A queued stream through an async codec with a signing key reads back decrypted, signed, in order",
  async () => {
    const u = await url();
    const s = `le_${crypto.randomUUID().slice(0, 8)}`;
    const codec = new ManagedAesGcmCodec(
      new StaticKeyProvider({ k1: new Uint8Array(32).fill(7) }, "k1"),
    );
    const signKey = new Uint8Array(32).fill(9);
    const o = { schema: s, notify: false, codec, signKey };
    const called = Array.from({ length: 600 }, (_, i) => ev(i));
    {
      await using sink = await PostgresSink.open(u, { ...o, maxBatch: 50 });
      await Promise.all(called.map((e) => sink.append(e)));
    }
    await using reader = await PostgresSink.open(u, o);
    for (let t = 0; t < 3; t++) {
      const got = await reader.query({ trace_id: trace(t) }, { limit: 1000 });
      const want = called.filter((e) => e.trace_id === trace(t));
      assert.deepEqual(got.map((e) => e.payload.n), want.map((e) => e.payload.n));
      assert.deepEqual(verifyChain(got, { key: signKey }), []);
      assert.ok(got.every((e) => typeof e.sig === "string"));
    }
    const rows = await storedRows(u, s);
    assert.equal(rows.length, called.length);
  },
);

pgTest("lookahead: the server stops", async () => {
  if (server) await (await server).stop();
});
