/**
 * PostgresSink against raw postgres.js running the same SQL in the same run, on a throwaway
 * cluster (`testing/pg_cluster.ts`, TCP on 127.0.0.1, fsync on). Each line prints our figure,
 * the raw client's, and the ratio:
 *
 * - single-writer acknowledged append (p50 and ev/s): `append` vs one `zu_append` call with
 *   the event linked and encoded beforehand;
 * - 16 concurrent writers (16 sinks, one trace each) vs 16 raw loops on a 16-connection pool;
 * - batched (group commit of 100 per `zu_append_batch` call): 100 appends in flight, awaited
 *   before the next 100, and a stream of appends queued at once (the next batch is prepared while
 *   one is in flight), each vs back-to-back raw 100-row multi-values inserts of the same rows,
 *   linked beforehand (the reference's figure);
 * - keyset stream of 24,000 rows: `stream()` (decoded events) vs the raw page query;
 * - NOTIFY wake-up p99: append resolved -> `tail` yields, vs `pg_notify` sent -> raw listener.
 *
 * Run: `deno run -A bench/postgres_bench.ts [--quick]`.
 *
 * @module
 */
import postgres from "postgres";
import { linkEvent } from "../core/chain.ts";
import { encodePayloadSync, IdentityCodec, rowAad } from "../core/codec.ts";
import { type Event, newEvent } from "../core/events.ts";
import { toZuJson } from "../core/json.ts";
import { PostgresSink } from "../sinks/postgres/mod.ts";
import { startPgCluster } from "../testing/pg_cluster.ts";

const quick = Deno.args.includes("--quick");
const N1 = quick ? 200 : 1000;
const PER16 = quick ? 50 : 250;
const BATCHES = quick ? 10 : 50;
const ROWS = quick ? 5000 : 24_000;
const WAKES = quick ? 20 : 60;
const identity = new IdentityCodec();
/** The columns the sink's reads select (codec-0 bodies as text), for the raw keyset read. */
const COLUMNS = "seq, event_id, trace_id, task_id, type, source, " +
  "case when get_byte(data, 0) = 0 then convert_from(substring(data from 2), 'UTF8') end as text, " +
  "case when get_byte(data, 0) = 0 then null else data end as data";
/** The raw side uses named prepared statements too (as the sink does). */
const P = { prepare: true } as const;
const PAYLOAD = { text: "x".repeat(220), n: 1, ok: true, tags: ["a", "b"] };

function ev(task: string): Event {
  return newEvent({ task_id: task, type: "harness.turn.started", payload: PAYLOAD });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

/** Pre-linked raw calls for one trace: the arguments of `zu_append`, in chain order. */
function rawChain(task: string, n: number): unknown[][] {
  const out: unknown[][] = [];
  let prev: string | null = null;
  for (let i = 0; i < n; i++) {
    const e = linkEvent(ev(task), prev);
    prev = e.hash;
    const blob = encodePayloadSync(identity, toZuJson(e), rowAad(e));
    out.push([
      e.event_id,
      e.trace_id,
      e.task_id,
      null,
      e.type,
      e.source,
      i,
      e.prev_hash,
      e.hash,
      null,
      0,
      blob,
      null,
    ]);
  }
  return out;
}

const appendSql = (s: string) =>
  `select r_status from ${s}.zu_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;

function line(what: string, ours: string, raw: string, ratio: number, goal = ""): void {
  console.log(
    `${what.padEnd(34)} ours ${ours.padStart(14)}   raw ${raw.padStart(14)}   ratio ${
      ratio.toFixed(2)
    }${goal ? `   (goal ${goal})` : ""}`,
  );
}

const cluster = await startPgCluster();
const url = cluster.url;
const raw = postgres(url, { max: 16, onnotice: () => {} });
let schemaN = 0;
const fresh = async (o: Record<string, unknown> = {}) =>
  await PostgresSink.open(url, { schema: `b${++schemaN}`, notify: false, maxBatch: 1, ...o });
const ROUNDS = quick ? 1 : 2;

/**
 * Runs ours and raw alternately ROUNDS times (the machine is shared: load moves between
 * samples) and keeps each side's best figure (`higher`: rates; otherwise latencies).
 */
async function alternate(
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
  higher: boolean,
): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await ours());
    b.push(await theirs());
  }
  const best = (xs: number[]) => higher ? Math.max(...xs) : Math.min(...xs);
  return [best(a), best(b)];
}

const T1 = "11111111-1111-4111-8111-111111111111";
try {
  // 1. single writer, acknowledged append
  {
    const p50s: [number, number] = [Infinity, Infinity];
    const [ours, theirs] = await alternate(async () => {
      const sink = await fresh();
      const lat: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < N1; i++) {
        const a = performance.now();
        await sink.append(ev(T1));
        lat.push(performance.now() - a);
      }
      const rate = N1 / ((performance.now() - t0) / 1000);
      p50s[0] = Math.min(p50s[0], pct(lat, 0.5));
      await sink.close();
      return rate;
    }, async () => {
      const sink = await fresh();
      const calls = rawChain(T1, N1);
      const lat: number[] = [];
      const t0 = performance.now();
      for (const c of calls) {
        const a = performance.now();
        // deno-lint-ignore no-explicit-any
        await raw.unsafe(appendSql(sink.schema), c as any[], P);
        lat.push(performance.now() - a);
      }
      const rate = N1 / ((performance.now() - t0) / 1000);
      p50s[1] = Math.min(p50s[1], pct(lat, 0.5));
      await sink.close();
      return rate;
    }, true);
    line(
      "single writer p50",
      `${p50s[0].toFixed(2)} ms`,
      `${p50s[1].toFixed(2)} ms`,
      p50s[1] / p50s[0],
      "<= 0.6 ms",
    );
    line("single writer rate", `${ours.toFixed(0)}/s`, `${theirs.toFixed(0)}/s`, ours / theirs);
  }
  // 2. 16 concurrent writers, one trace each
  {
    const task = (w: number) => `20000000-0000-4000-8000-0000000000${String(w).padStart(2, "0")}`;
    const [ours, theirs] = await alternate(async () => {
      const s = await fresh();
      const sinks = await Promise.all(
        Array.from(
          { length: 16 },
          () => PostgresSink.open(url, { schema: s.schema, notify: false, maxBatch: 1 }),
        ),
      );
      const t0 = performance.now();
      await Promise.all(sinks.map(async (k, w) => {
        for (let i = 0; i < PER16; i++) await k.append(ev(task(w)));
      }));
      const rate = (16 * PER16) / ((performance.now() - t0) / 1000);
      for (const k of sinks) await k.close();
      await s.close();
      return rate;
    }, async () => {
      const s = await fresh();
      const chains = Array.from({ length: 16 }, (_, w) => rawChain(task(w), PER16));
      const t0 = performance.now();
      await Promise.all(chains.map(async (calls) => {
        // deno-lint-ignore no-explicit-any
        for (const c of calls) await raw.unsafe(appendSql(s.schema), c as any[], P);
      }));
      const rate = (16 * PER16) / ((performance.now() - t0) / 1000);
      await s.close();
      return rate;
    }, true);
    line(
      "16 writers",
      `${ours.toFixed(0)}/s`,
      `${theirs.toFixed(0)}/s`,
      ours / theirs,
      ">= 4,000/s",
    );
  }
  // 3. batched (group commit of 100): 100 in flight, each 100 awaited before the next (closed),
  //    and a stream of appends queued at once (sustained: the next batch is linked and encoded
  //    while one is in flight); raw: back-to-back 100-row inserts of rows linked beforehand.
  for (const sustained of [false, true]) {
    const T = `4000000${sustained ? 1 : 0}-0000-4000-8000-000000000000`;
    const [ours, theirs] = await alternate(async () => {
      const sink = await fresh({ maxBatch: 100 });
      const t0 = performance.now();
      if (sustained) {
        await Promise.all(Array.from({ length: BATCHES * 100 }, () => sink.append(ev(T))));
      } else {
        for (let b = 0; b < BATCHES; b++) {
          await Promise.all(Array.from({ length: 100 }, () => sink.append(ev(T))));
        }
      }
      const rate = (BATCHES * 100) / ((performance.now() - t0) / 1000);
      await sink.close();
      return rate;
    }, async () => {
      const sink = await fresh();
      const calls = rawChain(T, BATCHES * 100);
      const cols = "(event_id, trace_id, task_id, parent_id, type, source, trace_pos, " +
        "prev_hash, hash, sig, codec, data)";
      const values = Array.from(
        { length: 100 },
        (_, r) => `(${Array.from({ length: 12 }, (_, c) => `$${r * 12 + c + 1}`).join(", ")})`,
      ).join(", ");
      const insert = `insert into ${sink.schema}.zu_events ${cols} values ${values}`;
      const t0 = performance.now();
      for (let b = 0; b < BATCHES; b++) {
        const params = calls.slice(b * 100, b * 100 + 100).flatMap((c) => [
          ...c.slice(0, 6),
          (c[6] as number) + 1,
          ...c.slice(7, 12),
        ]);
        // deno-lint-ignore no-explicit-any
        await raw.unsafe(insert, params as any[], P);
      }
      const rate = (BATCHES * 100) / ((performance.now() - t0) / 1000);
      await sink.close();
      return rate;
    }, true);
    line(
      sustained ? `batched, ${BATCHES * 100} queued` : "batched, 100 awaited",
      `${ours.toFixed(0)}/s`,
      `${theirs.toFixed(0)}/s`,
      ours / theirs,
      sustained ? ">= 18,000/s" : "",
    );
  }
  // 4. keyset stream
  {
    const sink = await fresh({ maxBatch: 100 });
    while ((await sink.count()) < ROWS) {
      await Promise.all(
        Array.from(
          { length: 100 },
          (_, i) => sink.append(ev(`6000000${i % 8}-0000-4000-8000-000000000000`)),
        ),
      );
    }
    const total = await sink.count();
    const [ours, theirs] = await alternate(async () => {
      const t0 = performance.now();
      let n = 0;
      for await (const _ of sink.stream({}, { batchSize: 1000 })) n++;
      return n / ((performance.now() - t0) / 1000);
    }, async () => {
      const t0 = performance.now();
      let m = 0;
      let after = 0;
      while (true) {
        const rows = await raw.unsafe(
          `select ${COLUMNS} from ${sink.schema}.zu_events e ` +
            "where seq > $1 order by seq limit 1000",
          [after],
          P,
        ).values();
        m += rows.length;
        if (rows.length < 1000) break;
        after = Number(rows[rows.length - 1]![0]);
      }
      return m / ((performance.now() - t0) / 1000);
    }, true);
    line(
      `keyset stream (${total} rows)`,
      `${ours.toFixed(0)}/s`,
      `${theirs.toFixed(0)}/s`,
      ours / theirs,
      ">= 140,000 rows/s",
    );
    await sink.close();
  }
  // 5. NOTIFY wake-up: append resolved -> tail yields, vs pg_notify sent -> raw listener
  {
    const p50s: [number, number] = [Infinity, Infinity];
    const [ours, theirs] = await alternate(async () => {
      const reader = await fresh({ notify: true });
      const writer = await PostgresSink.open(url, {
        schema: reader.schema,
        notify: true,
        maxBatch: 1,
      });
      const ac = new AbortController();
      const it = reader.tail(undefined, { signal: ac.signal, pollMs: 5000 });
      const lat: number[] = [];
      for (let i = 0; i < WAKES; i++) {
        const next = it.next();
        await new Promise((r) => setTimeout(r, 70)); // past the debounce window, tail idle
        await writer.append(ev("70000000-0000-4000-8000-000000000000"));
        const a = performance.now();
        await next;
        lat.push(performance.now() - a);
      }
      ac.abort();
      await it.return(undefined);
      await writer.close();
      await reader.close();
      p50s[0] = Math.min(p50s[0], pct(lat, 0.5));
      return pct(lat, 0.99);
    }, async () => {
      const lat: number[] = [];
      let got: (() => void) | null = null;
      const listener = await raw.listen("bench_raw", () => got?.());
      for (let i = 0; i < WAKES; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const p = new Promise<void>((r) => got = r);
        const a = performance.now();
        await raw.unsafe("select pg_notify('bench_raw', 'x')", [], P);
        await p;
        lat.push(performance.now() - a);
      }
      await listener.unlisten();
      p50s[1] = Math.min(p50s[1], pct(lat, 0.5));
      return pct(lat, 0.99);
    }, false);
    line(
      "NOTIFY wake-up p99",
      `${ours.toFixed(2)} ms`,
      `${theirs.toFixed(2)} ms`,
      theirs / ours,
      "<= 3 ms",
    );
    line(
      "NOTIFY wake-up p50",
      `${p50s[0].toFixed(2)} ms`,
      `${p50s[1].toFixed(2)} ms`,
      p50s[1] / p50s[0],
    );
  }
  console.log(
    "ratio: rates ours/raw, latencies raw/ours (1.00 = no overhead over the raw client); best of " +
      `${ROUNDS} alternating runs; load ${Deno.loadavg()[0]!.toFixed(2)}`,
  );
} finally {
  await raw.end();
  await cluster.stop();
}
