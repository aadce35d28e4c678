/**
 * SqliteSink against raw `node:sqlite` of the same shape, measured in one run on this machine:
 *
 * - acknowledged appends/s one at a time vs raw, one transaction per row;
 * - acknowledged appends/s with 64 concurrent appenders vs raw, 1,000 rows per transaction;
 * - stream rows/s (decoded events) vs a raw keyset select of the same pages.
 *
 * Both sides use zu's schema, WAL and `synchronous=FULL`, and store the same bytes (the raw rows
 * are linked and encoded before the raw clock starts, so it times SQLite only). Each pair runs in alternating chunks
 * (ours, raw, raw, ours, ...) so bursts of disk and CPU noise hit both sides alike; the rates
 * shown are medians over chunks and the ratio is the median of the paired chunk ratios. The last
 * lines marked "(context)" show baselines closer to what the sink must do: a raw writer that can
 * only batch as many rows as there are appenders (64 acknowledged appenders cannot share more than
 * 64 rows per commit), and a raw select that JSON.parses each row. About 30 s.
 *
 * Run: `deno run -A bench/sinks_bench.ts [--quick] [--only=seq,conc,stream]`
 *
 * @module
 */
import { DatabaseSync } from "../sinks/sqlite/node_sqlite.ts";
import { type Event, newEvent } from "../core/events.ts";
import { toZuJson } from "../core/json.ts";
import { linkEvent } from "../core/chain.ts";
import { SCHEMA_STATEMENTS, SqliteSink } from "../sinks/sqlite/mod.ts";

const quick = Deno.args.includes("--quick");
// `--only=seq,conc,stream` runs only those measures (for profiling one of them).
const only = new Set(
  (Deno.args.find((a) => a.startsWith("--only="))?.slice(7) ?? "seq,conc,stream").split(","),
);
const N_STREAM = quick ? 10000 : 40000;
const CONCURRENCY = 64;
const STREAM_PAGE = 500;

const dir = await Deno.makeTempDir({ prefix: "zu-bench-" });
let fileNo = 0;
function freshPath(): string {
  return `${dir}/b${fileNo++}.db`;
}

function makeEvents(n: number): Event[] {
  const tasks = Array.from({ length: 8 }, () => crypto.randomUUID());
  return Array.from({ length: n }, (_, i) =>
    newEvent({
      task_id: tasks[i % tasks.length]!,
      type: "harness.tool.returned",
      source: "loop",
      payload: {
        tool: "fetch_page",
        observation: { status: 200, url: `https://example.test/page/${i}`, html_len: 1000 + i },
        ctx: { grant_id: `g-${i % 5}` },
        note: "Café Lumière – 東京",
      },
    }));
}

function rawDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: 5000 });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  for (const s of SCHEMA_STATEMENTS) db.exec(s);
  return db;
}

const INSERT = "INSERT INTO events (event_id, trace_id, task_id, parent_id, type, source, data) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?)";
const encoder = new TextEncoder();

/**
 * The rows the sink would store for `events`: linked into per-trace chains (as the sink links
 * them) and written as zu's JSON behind the codec-0 byte, so both sides write the same bytes.
 * Built before the clock starts: the raw side times only SQLite.
 */
function rawRows(
  events: Event[],
  heads: Map<string, string | null>,
): [string, string, string, null, string, string, Uint8Array][] {
  return events.map((e) => {
    const linked = linkEvent(e, heads.get(e.trace_id) ?? null);
    heads.set(e.trace_id, linked.hash);
    const json = encoder.encode(toZuJson(linked));
    const blob = new Uint8Array(json.length + 1);
    blob.set(json, 1);
    return [e.event_id, e.trace_id, e.task_id, null, e.type, e.source, blob];
  });
}

/** A raw writer of the same shape; `write` times one chunk of rows in transactions of `perTxn`. */
function rawWriter(perTxn: number): { write(events: Event[]): number; close(): void } {
  const db = rawDb(freshPath());
  const ins = db.prepare(INSERT);
  const heads = new Map<string, string | null>();
  return {
    write(events) {
      const rows = rawRows(events, heads);
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += perTxn) {
        db.exec("BEGIN IMMEDIATE");
        const end = Math.min(rows.length, i + perTxn);
        for (let j = i; j < end; j++) ins.run(...rows[j]!);
        db.exec("COMMIT");
      }
      return performance.now() - t0;
    },
    close: () => db.close(),
  };
}

async function sinkOneAtATime(sink: SqliteSink, events: Event[]): Promise<number> {
  const t0 = performance.now();
  for (const e of events) await sink.append(e);
  return performance.now() - t0;
}

async function sinkConcurrent(sink: SqliteSink, events: Event[]): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < events.length) await sink.append(events[next++]!);
  }));
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One measure: median rates of each side and the median of the paired ratios. */
interface Measure {
  ours: number;
  raw: number;
  ratio: number;
}

/**
 * Alternates chunks of ours and raw (ours first, then raw first, ...) so bursts of machine noise
 * hit both alike; each adjacent pair gives one ratio and the median ratio is reported.
 */
async function interleaved(
  chunks: number,
  chunkSize: number,
  ours: (sink: SqliteSink, events: Event[]) => Promise<number>,
  perTxn: number,
): Promise<Measure> {
  const sink = new SqliteSink(freshPath());
  const raw = rawWriter(perTxn);
  const o: number[] = [], r: number[] = [];
  try {
    for (let c = 0; c < chunks; c++) {
      const a = makeEvents(chunkSize), b = makeEvents(chunkSize);
      let tO: number, tR: number;
      if (c % 2 === 0) {
        tO = await ours(sink, a);
        tR = raw.write(b);
      } else {
        tR = raw.write(b);
        tO = await ours(sink, a);
      }
      o.push(chunkSize / (tO / 1000));
      r.push(chunkSize / (tR / 1000));
    }
  } finally {
    await sink.close();
    raw.close();
  }
  return { ours: median(o), raw: median(r), ratio: median(o.map((x, i) => x / r[i]!)) };
}

async function streamPair(events: Event[], rounds: number): Promise<[Measure, Measure]> {
  const path = freshPath();
  {
    const sink = new SqliteSink(path);
    await Promise.all(events.map((e) => sink.append(e)));
    await sink.close();
  }
  const db = rawDb(path);
  const page = db.prepare(
    "SELECT seq, event_id, trace_id, task_id, type, source, data FROM events WHERE seq > ? ORDER BY seq ASC LIMIT ?",
  );
  const decoder = new TextDecoder();
  const rawPass = (parse: boolean): number => {
    const t0 = performance.now();
    let after = 0;
    while (true) {
      const rows = page.all(after, STREAM_PAGE) as { seq: number; data: Uint8Array }[];
      if (parse) { for (const r of rows) JSON.parse(decoder.decode(r.data.subarray(1))); }
      if (rows.length < STREAM_PAGE) break;
      after = rows[rows.length - 1]!.seq;
    }
    return events.length / ((performance.now() - t0) / 1000);
  };
  const sink = new SqliteSink(path);
  const o: number[] = [], r: number[] = [], p: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      if (round % 2) r.push(rawPass(false));
      const t0 = performance.now();
      let m = 0;
      for await (const _ of sink.stream({}, { batchSize: STREAM_PAGE })) m++;
      o.push(m / ((performance.now() - t0) / 1000));
      if (m !== events.length) throw new Error(`Stream mismatch: ${m} events vs ${events.length}`);
      if (round % 2 === 0) r.push(rawPass(false));
      p.push(rawPass(true));
    }
  } finally {
    await sink.close();
    db.close();
  }
  const ratio = (base: number[]) => median(o.map((x, i) => x / base[i]!));
  return [
    { ours: median(o), raw: median(r), ratio: ratio(r) },
    { ours: median(o), raw: median(p), ratio: ratio(p) },
  ];
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString("en-US").padStart(10);
}

const started = performance.now();
try {
  // Warm up both paths (JIT, page cache).
  await interleaved(2, 100, sinkOneAtATime, 1);
  await interleaved(2, 1000, sinkConcurrent, 1000);

  const rows: [string, Measure, string, number][] = [];
  if (only.has("seq")) {
    const seq = await interleaved(quick ? 6 : 60, 50, sinkOneAtATime, 1);
    rows.push(["appends/s, one at a time", seq, "raw, 1 txn per row", 0.8]);
  }
  if (only.has("conc")) {
    const conc = await interleaved(quick ? 4 : 24, 2000, sinkConcurrent, 1000);
    const conc64 = await interleaved(quick ? 4 : 10, 2000, sinkConcurrent, CONCURRENCY);
    rows.push(
      [`appends/s, ${CONCURRENCY} concurrent`, conc, "raw, 1000 rows per txn", 0.3],
      [`appends/s, ${CONCURRENCY} concurrent`, conc64, `raw, ${CONCURRENCY} rows per txn`, 0],
    );
  }
  if (only.has("stream")) {
    const [stream, streamParse] = await streamPair(makeEvents(N_STREAM), quick ? 3 : 11);
    rows.push(
      ["stream events/s (decoded)", stream, "raw keyset select", 0.5],
      ["stream events/s (decoded)", streamParse, "raw select + JSON.parse", 0],
    );
  }
  const lines = [
    "SqliteSink vs raw node:sqlite (same schema, WAL, synchronous=FULL; medians of alternating chunks)",
    `${"measure".padEnd(30)} ${"SqliteSink".padStart(10)}   ${"baseline".padEnd(24)} ${
      "raw".padStart(10)
    }   ratio  target`,
  ];
  let ok = true;
  for (const [name, m, base, target] of rows) {
    const { ours, raw, ratio } = m;
    if (ratio < target) ok = false;
    const mark = target === 0 ? "(context)" : `>= ${target} ${ratio >= target ? "ok" : "BELOW"}`;
    lines.push(
      `${name.padEnd(30)} ${fmt(ours)}   ${base.padEnd(24)} ${fmt(raw)}   ${
        ratio.toFixed(2).padStart(5)
      }  ${mark}`,
    );
  }
  lines.push(
    `(${((performance.now() - started) / 1000).toFixed(1)} s; ${
      ok ? "all targets met" : "a target was missed"
    })`,
  );
  console.log(lines.join("\n"));
} finally {
  await Deno.remove(dir, { recursive: true });
}
