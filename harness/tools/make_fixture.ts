/**
 * Records an example agent's capture bundle: runs the agent (its own provider) with the real
 * `http_fetch` tool whose transport reaches a loopback origin serving `<agent>/pages/*.html`
 * (`/products/x` → `pages/product.html`, or the single page when there is one), then projects the
 * run with `captureBundle` and writes `<agent>/fixtures/capture.json` (plain JSON).
 *
 * Usage: `deno run --allow-read --allow-write --allow-net=127.0.0.1 harness/tools/make_fixture.ts fixtures/agents/shop-price`
 *
 * @module
 */
import { basename, join } from "node:path";
import { assembleRun, loadAgentConfig } from "../../agent/config.ts";
import { runTask } from "../../agent/loop.ts";
import { HttpFetch } from "../../agent/tools/http_fetch.ts";
import { EventBus } from "../../core/bus.ts";
import type { Result } from "../../core/contracts.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { type Bundle, bundlePath, writeBundle } from "../bundle.ts";
import { captureBundle } from "../capture.ts";

/** What {@link makeFixture} did. */
export interface MakeFixtureResult {
  /** The bundle written. */
  bundle: Bundle;
  /** Where. */
  path: string;
  /** The live-style run's result. */
  result: Result;
}

async function pages(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(join(dir, "pages"))) {
    if (e.isFile && e.name.endsWith(".html")) {
      out.set(basename(e.name, ".html"), await Deno.readTextFile(join(dir, "pages", e.name)));
    }
  }
  return out;
}

/** Runs the agent against its pages on a loopback origin and writes its capture bundle. */
export async function makeFixture(
  agentDir: string,
  options: { write?: boolean } = {},
): Promise<MakeFixtureResult> {
  const config = await loadAgentConfig(agentDir);
  const assembled = await assembleRun(config);
  const site = await pages(config.agentDir);
  const only = site.size === 1 ? [...site.values()][0] : undefined;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const last = path.split("/").filter((s) => s !== "").pop() ?? "index";
    const key = [...site.keys()].find((k) => path.includes(k)) ?? last;
    const html = site.get(key) ?? site.get("product") ?? only;
    return html === undefined
      ? new Response("not found", { status: 404 })
      : new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const real = assembled.plugins.tools.get("http_fetch");
  const live = new HttpFetch({
    ...(config.allowed_domains ? { allowedDomains: config.allowed_domains } : {}),
    env: () => undefined,
    transport: async ({ url }) => {
      const u = new URL(url);
      const res = await fetch(`${origin}${u.pathname}${u.search}`);
      return { status: res.status, body: await res.text() };
    },
  });
  live.tier = real?.tier ?? 1;
  const tools = new Map(assembled.plugins.tools);
  tools.set("http_fetch", live);
  const bus = new EventBus(new MemorySink());
  let result: Result;
  try {
    result = await runTask(
      assembled.spec,
      assembled.provider,
      { ...assembled.plugins, tools },
      bus,
      {
        containment: config.containment,
      },
    );
  } finally {
    await bus.close().catch(() => {});
  }
  const events = await bus.sink.query().catch(() => []);
  const bundle = captureBundle(events, result, {
    task: assembled.spec.query,
    model: assembled.provider.model,
  });
  const path = bundlePath(config.agentDir);
  if (options.write ?? true) {
    await Deno.mkdir(join(config.agentDir, "fixtures"), { recursive: true });
    await writeBundle(path, bundle);
  }
  return { bundle, path, result };
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "fixtures/agents/shop-price";
  const out = await makeFixture(dir);
  await Deno.stdout.write(
    new TextEncoder().encode(
      `wrote ${out.path} (${out.result.status}, ${out.bundle.moves.length} moves)\n`,
    ),
  );
}
