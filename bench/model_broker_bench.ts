/**
 * The model broker's added latency per request: the same loopback model (a chat-completion-sized
 * JSON answer to a chat-completion-sized POST) called directly and through the broker (phantom
 * check, key resolved per request, headers rewritten, body streamed back with the echo scan), in
 * one run. The two sides alternate in chunks (direct, broker, broker, direct, ...) so noise hits
 * both alike; each side's p50 and p95 are over all its samples. Goal: at most 2 ms added at p50.
 *
 * Run: `deno run -A bench/model_broker_bench.ts [--quick] [--requests=N]`
 *
 * @module
 */
import { startModelBroker } from "../backends/egress/model_broker.ts";

const quick = Deno.args.includes("--quick");
const requests = Number(
  Deno.args.find((a) => a.startsWith("--requests="))?.slice(11) ?? (quick ? 400 : 4000),
);
const CHUNK = 50;
const KEY = `sk-bench-${crypto.randomUUID()}`;

const ANSWER = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  model: "m",
  choices: [{
    index: 0,
    message: { role: "assistant", content: '{"name":"Trail Kettle 1.2 L","price":"EUR 39.90"}' },
    finish_reason: "stop",
  }],
  usage: { prompt_tokens: 420, completion_tokens: 18, total_tokens: 438 },
});
const BODY = JSON.stringify({
  model: "m",
  messages: [
    { role: "system", content: "You are a careful shopping agent. ".repeat(8) },
    { role: "user", content: "Find the product name and its price on the page." },
  ],
});

const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  await req.arrayBuffer();
  const ok = req.headers.get("authorization") === `Bearer ${KEY}`;
  return new Response(ANSWER, {
    status: ok ? 200 : 401,
    headers: { "content-type": "application/json" },
  });
});
const origin = `http://127.0.0.1:${upstream.addr.port}`;
const broker = await startModelBroker({
  routes: [{ id: "main", upstream: `${origin}/v1`, secret: "KEY", authHeader: "authorization" }],
  resolver: { resolve: () => Promise.resolve(KEY) },
  localOrigins: [`127.0.0.1:${upstream.addr.port}`],
});

async function once(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: BODY,
  });
  await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`bench request failed with HTTP ${r.status}`);
  return ms;
}

const direct = () => once(`${origin}/v1/chat/completions`, KEY);
const brokered = () => once(`${broker.routeUrl("main")}/chat/completions`, broker.phantom);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
}

for (let i = 0; i < 100; i++) {
  await direct();
  await brokered();
}
const times = { direct: [] as number[], broker: [] as number[] };
for (let done = 0, turn = 0; done < requests; done += CHUNK, turn++) {
  const order = turn % 2 === 0 ? ["direct", "broker"] as const : ["broker", "direct"] as const;
  for (const side of order) {
    for (let i = 0; i < CHUNK; i++) {
      times[side].push(await (side === "direct" ? direct() : brokered()));
    }
  }
}
await broker.close();
await upstream.shutdown();

const d50 = pct(times.direct, 0.5);
const b50 = pct(times.broker, 0.5);
const f = (n: number) => n.toFixed(3);
console.log(`model broker, ${times.direct.length} requests per side, sequential, loopback`);
console.log(`  direct        p50 ${f(d50)} ms   p95 ${f(pct(times.direct, 0.95))} ms`);
console.log(`  via broker    p50 ${f(b50)} ms   p95 ${f(pct(times.broker, 0.95))} ms`);
console.log(
  `  added p50 ${f(b50 - d50)} ms (goal <= 2 ms): ${b50 - d50 <= 2 ? "met" : "NOT met"}; ` +
    `ratio ${(b50 / d50).toFixed(2)}x`,
);
