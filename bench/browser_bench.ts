/**
 * Tier-2 latency, side by side in one run: the same JavaScript-priced page loaded
 *
 * 1. by Chromium on the host (the baseline): cold (launch + load) and warm (new page in a running
 *    browser);
 * 2. by `render_dom` (call → observation): a fresh hardened sandbox and a fresh egress proxy
 *    container per call;
 * 3. by `browser` with the run's session reused (`op=open` on a live session).
 *
 * Prints medians and ratios against the host baseline. Needs the Docker daemon,
 * `zu-browser:<version>` and `zu-runtime:<version>` (`.ci/browser_image.sh`, `.ci/run`), and host
 * Chromium.
 *
 * ```sh
 * deno run --allow-all bench/browser_bench.ts [--runs 3]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/mod.ts";
import type { RunContext } from "../core/types.ts";
import {
  dockerClient,
  DockerProxyEgress,
  startOriginWorld,
} from "../agent/tools/_browser_integration_util.ts";
import { Browser, closeRunSessions } from "../agent/tools/browser.ts";
import { RenderDom } from "../agent/tools/render_dom.ts";
import { launchChromium } from "../images/browser/chromium.ts";
import { serveSite } from "../images/browser/testdata/site.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "3" } },
});
const runs = Math.max(1, Number(values.runs));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function expectPrice(obs: Record<string, unknown>): void {
  if (!/Price: \$42\.00/.test(String(obs["text"]))) {
    throw new Error(`The page did not render: ${JSON.stringify(obs).slice(0, 300)}`);
  }
}

// Host baseline.
const ac = new AbortController();
const site = serveSite({ signal: ac.signal });
const hostUrl = `http://127.0.0.1:${site.port}/`;
const hostCold: number[] = [];
const hostWarm: number[] = [];
for (let i = 0; i < runs; i++) {
  hostCold.push(
    await time(async () => {
      const b = await launchChromium({ proxy: null });
      const p = await b.newPage();
      await p.goto(hostUrl);
      await p.textContent("#price");
      await b.close();
    }),
  );
}
{
  const b = await launchChromium({ proxy: null });
  for (let i = 0; i < runs + 1; i++) {
    const ms = await time(async () => {
      const ctx = await b.newContext();
      const p = await ctx.newPage();
      await p.goto(hostUrl);
      await p.textContent("#price");
      await ctx.close();
    });
    if (i > 0) hostWarm.push(ms);
  }
  await b.close();
}
ac.abort();
await site.finished;

// Sandboxed.
const docker = await dockerClient();
const world = await startOriginWorld(docker);
const renderCold: number[] = [];
const sessionWarm: number[] = [];
let sessionFirst = NaN;
try {
  const backend = new LocalDockerBackend();
  const egress = new DockerProxyEgress(docker, world);
  const resolver = (host: string) => Promise.resolve(host === "shop.test" ? [world.originIp] : []);
  const options = { backend, egress, resolver, allowCidrs: [world.subnet], timeoutMs: 120_000 };
  const render = new RenderDom(options);
  const browser = new Browser(options);
  const url = `http://shop.test:${world.port}/`;
  const runId = crypto.randomUUID();
  const ctx = { trace_id: runId, spec: { task_id: runId } } as unknown as RunContext;
  for (let i = 0; i < runs; i++) {
    renderCold.push(await time(async () => expectPrice(await render.call(ctx, { url }))));
  }
  sessionFirst = await time(async () => expectPrice(await browser.call(ctx, { op: "open", url })));
  for (let i = 0; i < runs; i++) {
    sessionWarm.push(
      await time(async () => expectPrice(await browser.call(ctx, { op: "open", url }))),
    );
  }
  await closeRunSessions(runId);
} finally {
  await world.close();
}

const base = median(hostCold);
const rows: Array<[string, number]> = [
  ["host chromium, cold (launch + load)", base],
  ["host chromium, warm (new page)", median(hostWarm)],
  ["render_dom, cold (sandbox + proxy per call)", median(renderCold)],
  ["browser, first open (sandbox + proxy + launch)", sessionFirst],
  ["browser, reused session (open)", median(sessionWarm)],
];
console.log(`tier-2 latency, median of ${runs} (ratio to host chromium cold)`);
for (const [name, ms] of rows) {
  console.log(`${name.padEnd(50)} ${ms.toFixed(0).padStart(7)} ms  ${(ms / base).toFixed(2)}x`);
}
