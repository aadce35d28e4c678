/**
 * The cross-process verdict channel of live clearance, on loopback: a request held by a live
 * run's desk (`openRunClearance` on an SQLite event log, behind the real egress proxy) is
 * released (a) by an in-process `desk.verdict` and (b) by `submitClearanceVerdict` — the door's
 * path: the pending event read from the log, the verdict posted to the `clearance_verdicts`
 * inbox, the live run's 25 ms poller taking and applying it, the door reading the answer. Both
 * are timed from the verdict to the held request's answer, alternated in one run; the ratio
 * (b)/(a) is the price of going through the database. Goal: (b) at most 50 ms p50.
 *
 * Run: `deno run -A bench/clearance_channel_bench.ts [--quick] [--requests=N]`
 *
 * @module
 */
import { join } from "node:path";
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";
import type { ClearancePending } from "../core/types.ts";
import { SqliteSink } from "../sinks/sqlite/sqlite_sink.ts";
import { ClearanceInbox } from "../sinks/sqlite/clearance_inbox.ts";
import { clearanceReportEvent, openRunClearance } from "../runner/clearance/run_clearance.ts";
import { submitClearanceVerdict } from "../runner/clearance/submit_verdict.ts";

const quick = Deno.args.includes("--quick");
const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const requests = arg("requests", quick ? 20 : 200);
const PUBLIC_IP = "93.184.216.34";

const dir = await Deno.makeTempDir({ prefix: "zu-clearance-channel-" });
const db = join(dir, "events.db");
const runId = crypto.randomUUID();
const sink = new SqliteSink(db);
const rc = await openRunClearance({ holdMs: 60_000, dbPath: db, runId });
const waiting: ((p: ClearancePending) => void)[] = [];
let chain: Promise<unknown> = Promise.resolve();
rc.listen((r) => {
  const e = clearanceReportEvent(r, { task_id: runId, trace_id: runId });
  chain = chain.then(() => sink.append(e)).then(() => {
    if (r.kind === "pending") waiting.shift()?.(r.pending);
  });
});
const reader = new SqliteSink(db);
const inbox = new ClearanceInbox(db);
const origin = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response("ok"),
);
const proxy = await startEgressProxy({
  allowlist: [],
  resolver: () => Promise.resolve([PUBLIC_IP]),
  dialer: () => Deno.connect({ hostname: "127.0.0.1", port: origin.addr.port }),
  clearance: { desk: rc.gate, runId },
});

async function get(host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 64 && !text.includes("\r\n\r\n"); i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(text.slice(9, 12));
  } finally {
    conn.close();
  }
}

async function held(host: string): Promise<[ClearancePending, Promise<number>]> {
  const seen = new Promise<ClearancePending>((resolve) => waiting.push(resolve));
  const answer = get(host);
  return [await seen, answer];
}

async function inProcess(i: number): Promise<number> {
  const [p, answer] = await held(`p${i}.held.test`);
  const t0 = performance.now();
  await rc.desk.verdict({ ...p, action: "allow", actor: "bench" });
  if ((await answer) !== 200) throw new Error("in-process verdict: request failed");
  return performance.now() - t0;
}

async function throughDb(i: number): Promise<number> {
  const [p, answer] = await held(`d${i}.held.test`);
  const t0 = performance.now();
  const out = await submitClearanceVerdict({
    sink: reader,
    inbox,
    verdict: { request_id: p.request_id, action: "allow", actor: "bench" },
  });
  if (out.outcome !== "applied") throw new Error(`db verdict: ${out.outcome}`);
  if ((await answer) !== 200) throw new Error("db verdict: request failed");
  return performance.now() - t0;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
}

for (let i = 0; i < 5; i++) {
  await inProcess(-i - 1);
  await throughDb(-i - 1);
}
const times = { local: [] as number[], db: [] as number[] };
for (let i = 0; i < requests; i++) {
  times.local.push(await inProcess(i));
  times.db.push(await throughDb(i));
}
await proxy.close();
await rc.close();
await chain;
inbox.close();
await reader.close();
await sink.close();
await origin.shutdown();
await Deno.remove(dir, { recursive: true });

const f = (n: number) => n.toFixed(2);
const l50 = pct(times.local, 0.5);
const d50 = pct(times.db, 0.5);
console.log(`clearance verdict channel, ${requests} held requests per side, loopback, SQLite WAL`);
console.log(
  `  in-process desk.verdict -> answered   p50 ${f(l50)} ms   p95 ${f(pct(times.local, 0.95))} ms`,
);
console.log(
  `  through the event DB    -> answered   p50 ${f(d50)} ms   p95 ${f(pct(times.db, 0.95))} ms`,
);
console.log(
  `  verdict through the DB -> forwarded p50 ${f(d50)} ms (goal <= 50 ms): ${
    d50 <= 50 ? "met" : "NOT met"
  }; ratio to an in-process verdict ${(d50 / l50).toFixed(2)}x`,
);
