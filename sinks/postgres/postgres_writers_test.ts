/**
 * Many writers in many processes, attacked: 16 writers in 4 `deno run` children (only
 * `--allow-net` to the server and the URL variable) on shared traces leave 0 broken links and 0
 * gaps; a writer killed with SIGKILL mid-batch loses no acknowledged event; a connection
 * terminated mid-append is retried without a duplicate; a NOTIFY lost while the listener was
 * disconnected is still delivered.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { verifyChain } from "../../core/chain.ts";
import { newEvent } from "../../core/events.ts";
import { pgServerForTest, pgTest, startPgCluster } from "../../testing/pg_cluster.ts";
import { holdTransaction } from "../../testing/pg_hold.ts";
import { PostgresSink, type TailItem } from "./postgres_sink.ts";
import { spawnPgWriter } from "./testdata/spawn_writer.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const url = async () => (await (server ??= pgServerForTest())).url;
const schema = () => `wr_${crypto.randomUUID().slice(0, 8)}`;

function writer(u: string, args: (string | number)[]): Deno.ChildProcess {
  return spawnPgWriter(u, "pg_writer.ts", args);
}

/** Every trace of schema `s`: positions 1..n without a gap, seq order = position order, chain intact. */
async function checkTraces(u: string, s: string): Promise<number> {
  const sql = postgres(u, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe(
      `select trace_id, trace_pos, seq::int8 as seq from ${s}.zu_events order by trace_id, trace_pos`,
    );
    const byTrace = new Map<string, { pos: number; seq: number }[]>();
    for (const r of rows) {
      const list = byTrace.get(r.trace_id) ?? [];
      list.push({ pos: r.trace_pos, seq: Number(r.seq) });
      byTrace.set(r.trace_id, list);
    }
    await using sink = await PostgresSink.open(u, { schema: s, notify: false });
    for (const [t, list] of byTrace) {
      list.forEach((x, i) => {
        assert.equal(x.pos, i + 1, `gap in trace ${t}`);
        if (i > 0) assert.ok(x.seq > list[i - 1]!.seq, `trace ${t}: seq order is not chain order`);
      });
      assert.deepEqual(verifyChain(await sink.query({ trace_id: t })), [], `trace ${t}`);
    }
    return rows.length;
  } finally {
    await sql.end();
  }
}

async function lines(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const text = await new Response(stream).text();
  return text.split("\n").filter((l) => l.length > 0);
}

pgTest("16 writers in 4 processes on shared traces: 0 broken links, 0 gaps", async () => {
  const u = await url();
  const s = schema();
  await (await PostgresSink.open(u, { schema: s })).close();
  const children = [0, 1, 2, 3].map(() => writer(u, [s, 4, 30, 3, 4]));
  const outs = await Promise.all(children.map(async (c) => {
    const [out, err, status] = await Promise.all([lines(c.stdout), lines(c.stderr), c.status]);
    assert.ok(status.success, err.join("\n"));
    return out;
  }));
  const acked = outs.flat();
  assert.equal(acked.length, 4 * 4 * 30);
  assert.equal(await checkTraces(u, s), acked.length);
});

pgTest("A writer killed with SIGKILL mid-batch loses no acknowledged event", async () => {
  const u = await url();
  const s = schema();
  await (await PostgresSink.open(u, { schema: s })).close();
  const child = writer(u, [s, 2, 0, 2, 25]);
  const acked: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const deadline = Date.now() + 15_000;
  while (acked.length < 150 && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const parts = buf.split("\n");
    buf = parts.pop()!;
    acked.push(...parts);
  }
  child.kill("SIGKILL");
  // Ids printed before the kill are still in the pipe: read them to the end.
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
  }
  acked.push(...buf.split("\n").slice(0, -1));
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL");
  assert.ok(acked.length >= 150, `only ${acked.length} acknowledged before the deadline`);
  const sql = postgres(u, { max: 1, onnotice: () => {} });
  const stored = new Set(
    (await sql.unsafe(`select event_id from ${s}.zu_events`)).map((r) => r.event_id as string),
  );
  await sql.end();
  const lost = acked.filter((id) => !stored.has(id));
  assert.deepEqual(lost, []);
  assert.equal(await checkTraces(u, s), stored.size);
});

pgTest("A connection terminated mid-append is retried without a duplicate", async () => {
  const u = await url();
  const s = schema();
  await using sink = await PostgresSink.open(u, { schema: s, notify: false });
  const first = await sink.append(newEvent({ task_id: "t-1", type: "harness.task.started" }));
  const sql = postgres(u, { max: 2, onnotice: () => {}, connection: { application_name: "test" } });
  try {
    // Hold the trace's lock so the append waits inside zu_append, then kill its backend.
    const holder = await holdTransaction(
      sql,
      (tx) => tx.unsafe("select pg_advisory_xact_lock(hashtextextended('t-1', 0))"),
    );
    const e = newEvent({ task_id: "t-1", type: "harness.turn.started" });
    const pending = sink.append(e);
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      const r = await sql.unsafe(
        "select pg_terminate_backend(pid) as k from pg_stat_activity " +
          "where application_name = 'zu' and wait_event_type = 'Lock' and datname = current_database()",
      );
      killed = r.filter((x) => x.k === true).length;
      if (killed === 0) await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(killed, 1, "the append's backend was not found waiting");
    await holder.release();
    const stored = await pending;
    assert.equal(stored.event_id, e.event_id);
    assert.equal(stored.prev_hash, first.hash);
    assert.equal(await sink.count(), 2);
    assert.deepEqual(verifyChain(await sink.query({ trace_id: "t-1" })), []);
    // And a retry by the caller is a repeat, not a second row.
    assert.equal((await sink.append(e)).hash, stored.hash);
    assert.equal(await sink.count(), 2);
  } finally {
    await sql.end();
  }
});

pgTest("A NOTIFY lost while the listener was disconnected is still delivered", async () => {
  const u = await url();
  const s = schema();
  await using reader = await PostgresSink.open(u, { schema: s });
  await using writer = await PostgresSink.open(u, { schema: s });
  const sql = postgres(u, { max: 1, onnotice: () => {}, connection: { application_name: "test" } });
  const ac = new AbortController();
  try {
    const it = reader.tail(undefined, { signal: ac.signal, pollMs: 400 });
    const next = (ms: number): Promise<TailItem | "timeout"> =>
      Promise.race([
        it.next().then((r) => r.value as TailItem),
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms)),
      ]);
    // Woken by NOTIFY: well under the poll.
    let t0 = performance.now();
    const firstP = next(3000);
    await new Promise((r) => setTimeout(r, 100)); // let the tail listen and go idle
    t0 = performance.now();
    const a = await writer.append(newEvent({ task_id: "n", type: "harness.task.started" }));
    const first = await firstP;
    assert.notEqual(first, "timeout");
    assert.equal((first as TailItem).event.event_id, a.event_id);
    console.log(`notify wake-up: ${(performance.now() - t0).toFixed(1)} ms`);
    // Cut the listener, append while it is gone (that NOTIFY reaches no one), expect the event.
    const secondP = next(3000);
    const cut = await sql.unsafe(
      "select pg_terminate_backend(pid) as k from pg_stat_activity " +
        "where application_name = 'zu' and query ilike 'listen%'",
    );
    assert.equal(cut.filter((x) => x.k === true).length, 1, "the listener was not found");
    const b = await writer.append(newEvent({ task_id: "n", type: "harness.turn.started" }));
    const second = await secondP;
    assert.notEqual(second, "timeout", "the event was not delivered after the NOTIFY was lost");
    assert.equal((second as TailItem).event.event_id, b.event_id);
    // With NOTIFY off, the poll alone delivers.
    const pollOnly = reader.tail(undefined, {
      signal: ac.signal,
      pollMs: 200,
      notify: false,
      cursor: (second as TailItem).cursor,
    });
    const thirdP = pollOnly.next();
    const c = await writer.append(newEvent({ task_id: "n", type: "harness.turn.started" }));
    assert.equal(((await thirdP).value as TailItem).event.event_id, c.event_id);
    ac.abort();
    await it.return(undefined);
    await pollOnly.return(undefined);
  } finally {
    ac.abort();
    await sql.end();
  }
});

pgTest(
  "A writer reaches the server over its unix socket with the socket's grants only",
  async () => {
    if (Deno.env.get("ZU_TEST_PG_URL")) return; // an external server: its socket is not ours to name
    await using pg = await startPgCluster();
    const sock = `${pg.socketDir}/.s.PGSQL.${pg.port}`;
    const s = schema();
    const run = (grants: string[]) =>
      spawnPgWriter(pg.socketUrl, "pg_writer.ts", [s, 1, 5, 1, 1], { grants }).output();
    // Deno 2.9 asks for all three on a unix socket; without the net grant the connect is refused.
    const ok = await run([
      `--allow-read=${sock}`,
      `--allow-write=${sock}`,
      `--allow-net=unix:${sock}`,
    ]);
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.equal(new TextDecoder().decode(ok.stdout).trim().split("\n").length, 5);
    const denied = await run([`--allow-read=${sock}`, `--allow-write=${sock}`]);
    assert.notEqual(denied.code, 0);
    assert.match(
      new TextDecoder().decode(denied.stderr),
      /NotCapable: Requires net access to "unix:/,
    );
  },
);

pgTest("writers: the server stops", async () => {
  if (server) await (await server).stop();
});
