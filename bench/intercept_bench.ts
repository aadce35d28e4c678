/**
 * The credential interceptor's added latency per request after the handshake: the same loopback
 * HTTPS API (it demands the real key) called on one kept-alive connection directly (the client
 * sends the key itself) and through the egress proxy with an `inject` binding (the client sends
 * nothing; the proxy terminates TLS with the run's CA, adds the key resolved per request, relays
 * the answer through the echo scan), in one run. The two sides alternate in chunks so noise hits
 * both alike. Goal: at most 2 ms added at p50.
 *
 * Run: `deno run -A bench/intercept_bench.ts [--quick] [--requests=N]`
 *
 * @module
 */
import { startRunInterceptor } from "../runner/run_interceptor.ts";
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";
import { startRecordingUpstream, TEST_CA_PEM } from "../testing/recording_upstream.ts";

const quick = Deno.args.includes("--quick");
const requests = Number(
  Deno.args.find((a) => a.startsWith("--requests="))?.slice(11) ?? (quick ? 300 : 3000),
);
const CHUNK = 50;
const KEY = `sk-bench-${crypto.randomUUID()}`;
const ANSWER = JSON.stringify({
  items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}` })),
});

const up = await startRecordingUpstream({
  handler: (r) => ({
    status: r.headers.some(([k, v]) => k === "authorization" && v === `Bearer ${KEY}`) ? 200 : 401,
    headers: { "content-type": "application/json" },
    body: ANSWER,
  }),
});
// The recording upstream keeps every request; the bench only needs its answers.
const icpt = (await startRunInterceptor({
  resolver: { resolve: () => Promise.resolve(KEY) },
  bindings: [{
    secret: "API",
    mode: "inject",
    hosts: [`api.test:${up.port}`],
    headers: ["Authorization: Bearer {{secret:API}}"],
  }],
}, {
  caCerts: [TEST_CA_PEM],
  dnsResolver: () => Promise.resolve(["127.0.0.1"]),
  localOrigins: [`127.0.0.1:${up.port}`],
  systemRootsPath: null,
}))!;
const proxy = await startEgressProxy({ allowlist: [], handoff: icpt.handoff });
const directClient = Deno.createHttpClient({ caCerts: [TEST_CA_PEM] });
const proxiedClient = Deno.createHttpClient({ proxy: { url: proxy.url }, caCerts: [icpt.caPem] });

async function once(url: string, client: Deno.HttpClient, headers: Record<string, string>) {
  const t0 = performance.now();
  const r = await fetch(url, { client, headers });
  await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`bench request failed with HTTP ${r.status}`);
  return ms;
}
const direct = () =>
  once(`https://localhost:${up.port}/v1/items`, directClient, { authorization: `Bearer ${KEY}` });
const intercepted = () => once(`https://api.test:${up.port}/v1/items`, proxiedClient, {});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
}

for (let i = 0; i < 50; i++) {
  await direct();
  await intercepted();
}
const times = { direct: [] as number[], intercepted: [] as number[] };
for (let done = 0, turn = 0; done < requests; done += CHUNK, turn++) {
  const order = turn % 2 === 0
    ? ["direct", "intercepted"] as const
    : ["intercepted", "direct"] as const;
  for (const side of order) {
    for (let i = 0; i < CHUNK; i++) {
      times[side].push(await (side === "direct" ? direct() : intercepted()));
    }
    up.requests.length = 0;
  }
}
directClient.close();
proxiedClient.close();
await proxy.close();
await icpt.close();
await up.close();

const d50 = pct(times.direct, 0.5);
const i50 = pct(times.intercepted, 0.5);
const f = (n: number) => n.toFixed(3);
console.log(
  `credential interceptor (inject), ${times.direct.length} requests per side, kept-alive, loopback TLS`,
);
console.log(`  direct         p50 ${f(d50)} ms   p95 ${f(pct(times.direct, 0.95))} ms`);
console.log(`  intercepted    p50 ${f(i50)} ms   p95 ${f(pct(times.intercepted, 0.95))} ms`);
console.log(
  `  added p50 ${f(i50 - d50)} ms (goal <= 2 ms): ${i50 - d50 <= 2 ? "met" : "NOT met"}; ` +
    `ratio ${(i50 / d50).toFixed(2)}x`,
);
