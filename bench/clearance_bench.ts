/**
 * Live clearance on the egress proxy, in one run on loopback: (1) the time from an operator's
 * allow to the held request's answer, against a plain allowlisted request through the same proxy
 * (the baseline: connect, request, answer); (2) the deadline's accuracy: how far the 403
 * `clearance_timeout` lands from the configured hold. Goals: verdict → forwarded at most 50 ms
 * p50; the deadline within ±0.5 s.
 *
 * Run: `deno run -A bench/clearance_bench.ts [--quick] [--requests=N] [--holds=N] [--hold-ms=N]`
 *
 * @module
 */
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";
import { ClearanceDesk } from "../backends/egress/clearance/clearance_desk.ts";
import type { ClearancePending } from "../core/types.ts";

const quick = Deno.args.includes("--quick");
const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const requests = arg("requests", quick ? 100 : 1000);
const holds = arg("holds", quick ? 4 : 20);
const holdMs = arg("hold-ms", quick ? 300 : 1000);
const PUBLIC_IP = "93.184.216.34";

const origin = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response("ok"),
);
const waiting: ((p: ClearancePending) => void)[] = [];
const desk = new ClearanceDesk({ holdMs: 60_000, onPending: (p) => waiting.shift()?.(p) });
const timeoutDesk = new ClearanceDesk({ holdMs });
const common = {
  allowlist: ["allowed.test"],
  resolver: () => Promise.resolve([PUBLIC_IP]),
  dialer: (t: { hostname: string; port: number }) => {
    if (t.hostname !== PUBLIC_IP) return Promise.reject(new Error("unexpected dial"));
    return Deno.connect({ hostname: "127.0.0.1", port: origin.addr.port });
  },
};
const proxy = await startEgressProxy({ ...common, clearance: { desk, runId: "bench" } });
const timeoutProxy = await startEgressProxy({
  ...common,
  clearance: { desk: timeoutDesk, runId: "bench" },
});

/** One plain-HTTP request through `port`; resolves with the status line's code. */
async function get(port: number, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 64; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(text.slice(9, 12));
  } finally {
    conn.close();
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
}

async function baseline(): Promise<number> {
  const t0 = performance.now();
  if ((await get(proxy.port, "allowed.test")) !== 200) throw new Error("baseline failed");
  return performance.now() - t0;
}

async function cleared(i: number): Promise<number> {
  const seen = new Promise<ClearancePending>((resolve) => waiting.push(resolve));
  const answer = get(proxy.port, `h${i}.held.test`);
  const p = await seen;
  const t0 = performance.now();
  await desk.verdict({ ...p, action: "allow", actor: "bench" });
  if ((await answer) !== 200) throw new Error("cleared request failed");
  return performance.now() - t0;
}

for (let i = 0; i < 30; i++) {
  await baseline();
  await cleared(-i - 1);
}
const times = { baseline: [] as number[], cleared: [] as number[] };
for (let i = 0; i < requests; i++) {
  // Alternate so noise hits both sides alike.
  times.baseline.push(await baseline());
  times.cleared.push(await cleared(i));
}
const errors: number[] = [];
for (let i = 0; i < holds; i++) {
  const t0 = performance.now();
  if ((await get(timeoutProxy.port, `t${i}.held.test`)) !== 403) throw new Error("no 403");
  errors.push(performance.now() - t0 - holdMs);
}
desk.close();
timeoutDesk.close();
await proxy.close();
await timeoutProxy.close();
await origin.shutdown();

const f = (n: number) => n.toFixed(2);
const b50 = pct(times.baseline, 0.5);
const c50 = pct(times.cleared, 0.5);
console.log(`live clearance, ${requests} requests per side, loopback, plain HTTP`);
console.log(
  `  allowlisted request           p50 ${f(b50)} ms   p95 ${f(pct(times.baseline, 0.95))} ms`,
);
console.log(
  `  verdict -> held answered      p50 ${f(c50)} ms   p95 ${f(pct(times.cleared, 0.95))} ms`,
);
console.log(
  `  verdict -> forwarded p50 ${f(c50)} ms (goal <= 50 ms): ${c50 <= 50 ? "met" : "NOT met"}; ` +
    `ratio to an allowlisted request ${(c50 / b50).toFixed(2)}x`,
);
const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
const max = Math.max(...errors.map(Math.abs));
console.log(
  `  deadline ${holdMs} ms x ${holds}: mean error ${f(mean)} ms, max |error| ${f(max)} ms ` +
    `(goal within 500 ms): ${max <= 500 ? "met" : "NOT met"}`,
);
