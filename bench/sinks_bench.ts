/**
 * SqliteSink against raw `node:sqlite` of the same shape, measured in one run on this machine:
 *
 * - acknowledged appends/s one at a time vs raw, one transaction per row;
 * - acknowledged appends/s with 64 concurrent appenders vs raw, 1,000 rows per transaction;
 * - stream rows/s (decoded events) vs a raw keyset select of the same pages.
 *
 * Both sides use zu's schema, WAL and `synchronous=FULL`. Each pair runs in alternating chunks
 * (ours, raw, raw, ours, ...) so disk and CPU noise from the machine hits both sides alike. The
 * last line also shows a raw select that JSON.parses each row, for context. About 30 s.
 *
 * Run: `deno run -A bench/sinks_bench.ts [--quick]`
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { type Event, newEvent } from "../core/events.ts";
import { toZuJson } from "../core/json.ts";
import { SCHEMA_STATEMENTS } from "../sinks/sqlite/_schema.ts";
import { SqliteSink } from "../sinks/sqlite/sqlite_sink.ts";

const quick = Deno.args.includes("--quick");
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

function rawRows(events: Event[]): [string, string, string, null, string, string, Uint8Array][] {
  return events.map((e) => {
    const json = encoder.encode(toZuJson(e));
    const blob = new Uint8Array(json.length + 1);
    blob.set(json, 1);
    return [e.event_id, e.trace_id, e.task_id, null, e.type, e.source, blob];
  });
}

/** A raw writer of the same shape; `write` times one chunk of rows in transactions of `perTxn`. */
function rawWriter(perTxn: number): { write(events: Event[]): number; close(): void } {
  const db = rawDb(freshPath());
  const ins = db.prepare(INSERT);
  return {
    write(events) {
      const rows = rawRows(events);
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

/** Alternates chunks of ours and raw so disk noise hits both alike; returns [ours/s, raw/s]. */
async function interleaved(
  chunks: number,
  chunkSize: number,
  ours: (sink: SqliteSink, events: Event[]) => Promise<number>,
  perTxn: number,
): Promise<[number, number]> {
  const sink = new SqliteSink(freshPath());
  const raw = rawWriter(perTxn);
  let tOurs = 0, tRaw = 0;
  try {
    for (let c = 0; c < chunks; c++) {
      const a = makeEvents(chunkSize), b = makeEvents(chunkSize);
      if (c % 2 === 0) {
        tOurs += await ours(sink, a);
        tRaw += raw.write(b);
      } else {
        tRaw += raw.write(b);
        tOurs += await ours(sink, a);
      }
    }
  } finally {
    await sink.close();
    raw.close();
  }
  const n = chunks * chunkSize;
  return [n / (tOurs / 1000), n / (tRaw / 1000)];
}

async function streamPair(events: Event[], rounds: number): Promise<[number, number, number]> {
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
      if (parse) for (const r of rows) JSON.parse(decoder.decode(r.data.subarray(1)));
      if (rows.length < STREAM_PAGE) break;
      after = rows[rows.length - 1]!.seq;
    }
    return performance.now() - t0;
  };
  const sink = new SqliteSink(path);
  let tOurs = 0, tRaw = 0, tParse = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      tRaw += rawPass(false);
      tParse += rawPass(true);
      const t0 = performance.now();
      let m = 0;
      for await (const _ of sink.stream({}, { batchSize: STREAM_PAGE })) m++;
      tOurs += performance.now() - t0;
      if (m !== events.length) throw new Error(`Stream mismatch: ${m} events vs ${events.length}`);
    }
  } finally {
    await sink.close();
    db.close();
  }
  const n = events.length * rounds;
  return [n / (tOurs / 1000), n / (tRaw / 1000), n / (tParse / 1000)];
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString("en-US").padStart(10);
}

const started = performance.now();
try {
  // Warm up both paths (JIT, page cache).
  await interleaved(2, 100, sinkOneAtATime, 1);
  await interleaved(2, 1000, sinkConcurrent, 1000);

  const [oursSeq, rawSeq] = await interleaved(quick ? 4 : 16, 100, sinkOneAtATime, 1);
  const [oursConc, rawBatch] = await interleaved(quick ? 4 : 12, 2000, sinkConcurrent, 1000);
  const [oursStream, rawStream, rawParse] = await streamPair(makeEvents(N_STREAM), quick ? 2 : 4);
  const rows: [string, number, string, number, number][] = [
    ["appends/s, one at a time", oursSeq, "raw, 1 txn per row", rawSeq, 0.8],
    [`appends/s, ${CONCURRENCY} concurrent`, oursConc, "raw, 1000 rows per txn", rawBatch, 0.3],
    ["stream events/s (decoded)", oursStream, "raw keyset select", rawStream, 0.5],
    ["stream events/s (decoded)", oursStream, "raw select + JSON.parse", rawParse, 0],
  ];
  const lines = [
    "SqliteSink vs raw node:sqlite (same schema, WAL, synchronous=FULL; alternating chunks)",
    `${"measure".padEnd(30)} ${"SqliteSink".padStart(10)}   ${"baseline".padEnd(24)} ${"raw".padStart(10)}   ratio  target`,
  ];
  let ok = true;
  for (const [name, ours, base, raw, target] of rows) {
    const ratio = ours / raw;
    if (ratio < target) ok = false;
    const mark = target === 0 ? "(context)" : `>= ${target} ${ratio >= target ? "ok" : "BELOW"}`;
    lines.push(
      `${name.padEnd(30)} ${fmt(ours)}   ${base.padEnd(24)} ${fmt(raw)}   ${ratio.toFixed(2).padStart(5)}  ${mark}`,
    );
  }
  lines.push(`(${((performance.now() - started) / 1000).toFixed(1)} s; ${ok ? "all targets met" : "a target was missed"})`);
  console.log(lines.join("\n"));
} finally {
  await Deno.remove(dir, { recursive: true });
}
