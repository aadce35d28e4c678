/**
 * `zu serve`'s SSE delivery latency: an event appended to a run (the runner's `onEvent`) until a
 * client reading `GET /v1/runs/:id/events` has parsed its frame, over loopback TCP and over a
 * unix socket, against a baseline measured in the same run: the same event delivered to an
 * in-process subscriber of the same fan-out (no HTTP). One event in flight at a time, so each
 * number is a latency, not a throughput. The three sides alternate in chunks so noise hits all
 * alike. Goal: SSE p50 within 1 ms of the baseline on loopback.
 *
 * Run: `deno run -A bench/serve_bench.ts [--quick] [--events=N]`
 *
 * @module
 */
import { newEvent } from "../core/events.ts";
import type { RunLaunchContext } from "../runner/serve/run_registry.ts";
import { startZuServer, type ZuServer } from "../runner/serve/zu_server.ts";

const quick = Deno.args.includes("--quick");
const events = Number(
  Deno.args.find((a) => a.startsWith("--events="))?.slice(9) ?? (quick ? 300 : 3000),
);
const CHUNK = 100;
const TOKEN = `bench-${crypto.randomUUID()}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const task_id = crypto.randomUUID();

/** A launcher whose one run appends whatever the bench hands it, until released. */
function benchLauncher() {
  let ctx: RunLaunchContext | null = null;
  let ready = (): void => {};
  const started = new Promise<void>((r) => (ready = r));
  let finish = (): void => {};
  return {
    launcher: () =>
      Promise.resolve({
        run: (c: RunLaunchContext) => {
          ctx = c;
          ready();
          return new Promise<{ status: string; result: null }>((resolve) => {
            finish = () => resolve({ status: "success", result: null });
            c.signal.addEventListener("abort", () => finish());
          });
        },
      }),
    started,
    append: (n: number) =>
      ctx!.onEvent(
        newEvent({ task_id, type: "data.bench", payload: { n, text: "x".repeat(200) } }),
      ),
    finish: () => finish(),
  };
}

/** Reads SSE frames from `res`, calling `onFrame(seq)` for each event frame. */
function reader(res: Response, onFrame: (seq: number) => void): Promise<void> {
  return (async () => {
    const r = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    while (true) {
      const { value, done } = await r.read();
      if (done) return;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const id = /^id: (\d+)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (id && data) {
          JSON.parse(data[1]!); // the client parses what it got, as a real one would
          onFrame(Number(id[1]));
        }
      }
    }
  })();
}

interface Side {
  name: string;
  samples: number[];
  /** Appends one event and resolves when the side has received it. */
  once(): Promise<void>;
  close(): Promise<void>;
}

// Each server gets one launcher per side; the registry calls it once per POST.
const launchers: ReturnType<typeof benchLauncher>[] = [];
function launcherFor() {
  return () => {
    const next = launchers.shift();
    if (!next) return Promise.reject(new Error("no launcher queued"));
    return next.launcher();
  };
}

const dir = await Deno.makeTempDir({ prefix: "zu_serve_bench_" });
const tcp = await startZuServer({
  listen: { hostname: "127.0.0.1", port: 0 },
  token: TOKEN,
  launcher: launcherFor(),
});
const unix = await startZuServer({
  socket: `${dir}/zu.sock`,
  token: TOKEN,
  launcher: launcherFor(),
});
const unixClient = Deno.createHttpClient({ proxy: { transport: "unix", path: `${dir}/zu.sock` } });

async function side(name: string, server: ZuServer, client?: Deno.HttpClient): Promise<Side> {
  const b = benchLauncher();
  launchers.push(b);
  return await sseSideWith(b, name, server, client);
}

async function sseSideWith(
  b: ReturnType<typeof benchLauncher>,
  name: string,
  server: ZuServer,
  client?: Deno.HttpClient,
): Promise<Side> {
  const base = server.url ?? "http://localhost";
  const opts = client ? { client } : {};
  const { run_id } = await (await fetch(`${base}/v1/runs`, {
    method: "POST",
    headers: AUTH,
    body: '{"agent":"bench"}',
    ...opts,
  })).json();
  await b.started;
  let seq = 0;
  let got = (): void => {};
  const res = await fetch(`${base}/v1/runs/${run_id}/events`, { headers: AUTH, ...opts });
  const reading = reader(res, (s) => {
    if (s === seq) got();
  });
  const samples: number[] = [];
  return {
    name,
    samples,
    async once() {
      const arrived = new Promise<void>((r) => (got = r));
      seq++;
      const t0 = performance.now();
      b.append(seq);
      await arrived;
      samples.push(performance.now() - t0);
    },
    async close() {
      b.finish();
      await reading;
    },
  };
}

/** The baseline: an in-process subscriber of the run's own fan-out (what SSE reads from). */
async function inProcessSide(server: ZuServer): Promise<Side> {
  const b = benchLauncher();
  launchers.push(b);
  const base = server.url!;
  const { run_id } = await (await fetch(`${base}/v1/runs`, {
    method: "POST",
    headers: AUTH,
    body: '{"agent":"bench"}',
  })).json();
  await b.started;
  const sub = server.runs.get(run_id)!.fanout.subscribe();
  let seq = 0;
  let got = (): void => {};
  const reading = (async () => {
    for await (const f of sub) {
      if (f.kind === "item") {
        JSON.parse(JSON.stringify(f.value)); // the same encode and parse the SSE side pays
        if (f.value.seq === seq) got();
      }
    }
  })();
  const samples: number[] = [];
  return {
    name: "in-process subscriber (baseline)",
    samples,
    async once() {
      const arrived = new Promise<void>((r) => (got = r));
      seq++;
      const t0 = performance.now();
      b.append(seq);
      await arrived;
      samples.push(performance.now() - t0);
    },
    async close() {
      b.finish();
      await reading;
    },
  };
}

const sides = [
  await inProcessSide(tcp),
  await side("SSE over loopback TCP", tcp),
  await side("SSE over a unix socket", unix, unixClient),
];
// Warm up, then alternate in chunks.
for (const s of sides) for (let i = 0; i < 50; i++) await s.once();
for (const s of sides) s.samples.length = 0;
for (let done = 0; done < events; done += CHUNK) {
  for (const s of sides) for (let i = 0; i < CHUNK; i++) await s.once();
}
for (const s of sides) await s.close();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
const base = sides[0]!;
console.log(`serve bench: ${events} events per side, one in flight, 200-byte payloads`);
for (const s of sides) {
  const p50 = pct(s.samples, 0.5);
  const p95 = pct(s.samples, 0.95);
  const ratio = s === base
    ? ""
    : `  (p50 +${(p50 - pct(base.samples, 0.5)).toFixed(3)} ms vs baseline)`;
  console.log(`${s.name.padEnd(34)} p50 ${p50.toFixed(3)} ms  p95 ${p95.toFixed(3)} ms${ratio}`);
}
unixClient.close();
await tcp.shutdown();
await unix.shutdown();
await Deno.remove(dir, { recursive: true });
