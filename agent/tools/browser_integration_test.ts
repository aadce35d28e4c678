/**
 * render_dom and browser on the real daemon: the zu-browser image in a hardened sandbox on an
 * internal network whose only way out is the real egress proxy (in its own container), and an
 * origin site in a container on another internal network.
 */
import assert from "node:assert/strict";
import { LocalDockerBackend } from "../../backends/docker/mod.ts";
import type { RunContext } from "../../core/types.ts";
import { dockerTest } from "../../testing/docker.ts";
import { DEFAULT_BROWSER_IMAGE } from "./browser_target.ts";
import {
  dockerClient,
  DockerProxyEgress,
  imagePresent,
  leftovers,
  type OriginWorld,
  startOriginWorld,
} from "./_browser_integration_util.ts";
import { Browser, closeRunSessions, openRunSessionKeys } from "./browser.ts";
import { HttpFetch } from "./http_fetch.ts";
import { RenderDom } from "./render_dom.ts";

async function browserImageMissing(): Promise<boolean> {
  try {
    const docker = await dockerClient();
    await docker.ping();
    return !(await imagePresent(docker, DEFAULT_BROWSER_IMAGE));
  } catch {
    return false; // no daemon: dockerTest reports that itself
  }
}

const required = Boolean(Deno.env.get("ZU_REQUIRE_BROWSER"));
const missing = await browserImageMissing();
if (missing && !required) {
  console.error(
    `browser integration tests skipped: image "${DEFAULT_BROWSER_IMAGE}" is missing ` +
      `(build it with .ci/browser_image.sh); set ZU_REQUIRE_BROWSER=1 to fail instead`,
  );
}

function browserTest(name: string, fn: (world: OriginWorld, runId: string) => Promise<void>): void {
  dockerTest(name, async () => {
    if (missing) {
      throw new Error(`Cannot run "${name}": image "${DEFAULT_BROWSER_IMAGE}" is missing`);
    }
    const docker = await dockerClient();
    const runId = crypto.randomUUID();
    const world = await startOriginWorld(docker);
    try {
      await fn(world, runId);
    } finally {
      await closeRunSessions(runId);
      await world.close();
    }
    assert.deepEqual(await leftovers(docker, runId), [], "nothing is left behind");
  }, { ignore: missing && !required });
}

function tools(world: OriginWorld) {
  const backend = new LocalDockerBackend();
  const egress = new DockerProxyEgress(world.docker, world);
  const resolver = (host: string) => Promise.resolve(host === "shop.test" ? [world.originIp] : []);
  const options = { backend, egress, resolver, allowCidrs: [world.subnet], timeoutMs: 90_000 };
  return {
    backend,
    egress,
    resolver,
    render: new RenderDom(options),
    browser: new Browser(options),
  };
}

const ctxOf = (runId: string) =>
  ({ trace_id: runId, spec: { task_id: runId } }) as unknown as RunContext;

browserTest(
  "http_fetch misses the JavaScript-written price and render_dom sees it",
  async (world, runId) => {
    const { render, resolver } = tools(world);
    const fetched = await new HttpFetch({ resolver, allowCidrs: [world.subnet] }).call(
      ctxOf(runId),
      {
        url: `http://shop.test:${world.port}/`,
      },
    );
    assert.equal(fetched["status"], 200);
    assert.doesNotMatch(String(fetched["html"]), /Price: \$42\.00/);
    const obs = await render.call(ctxOf(runId), { url: `http://shop.test:${world.port}/` });
    assert.equal(obs["rendered"], true);
    assert.equal(obs["status"], 200, JSON.stringify(obs).slice(0, 800));
    assert.match(String(obs["text"]), /Price: \$42\.00/);
    assert.equal(obs["blocked_egress"], undefined);
  },
);

browserTest("A browser session fills a form, clicks and reads the result", async (world, runId) => {
  const { browser } = tools(world);
  const ctx = ctxOf(runId);
  const opened = await browser.call(ctx, {
    op: "open",
    url: `http://shop.test:${world.port}/form`,
  });
  assert.equal(opened["status"], 200, JSON.stringify(opened).slice(0, 800));
  const acted = await browser.call(ctx, {
    op: "act",
    actions: [{ fill: "#name", value: "Ada" }, { select: "#size", value: "Large" }, {
      click: "button.go",
      near: "Order",
    }],
  });
  assert.equal(acted["action_error"], undefined, String(acted["action_error"]));
  const read = await browser.call(ctx, { op: "read" });
  assert.match(String(read["text"]), /Ordered l for Ada/);
  assert.deepEqual(openRunSessionKeys().includes(runId), true);
  assert.deepEqual(await browser.call(ctx, { op: "close" }), { closed: true });
  assert.equal(openRunSessionKeys().includes(runId), false);
});

browserTest(
  "A page that reaches for a second host gets blocked_egress and the proxy's refusal",
  async (world, runId) => {
    const { render } = tools(world);
    const obs = await render.call(ctxOf(runId), {
      url: `http://shop.test:${world.port}/exfil`,
      wait_for: "text=done",
      capture_network: true,
    });
    assert.equal(obs["status"], 200, JSON.stringify(obs).slice(0, 800));
    const blocked = obs["blocked_egress"] as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(blocked), JSON.stringify(obs).slice(0, 800));
    assert.ok(blocked.some((b) => b["host"] === "evil.test"), JSON.stringify(blocked));
    const network = obs["network"] as Array<Record<string, unknown>>;
    assert.ok(
      network.some((n) => String(n["url"]).includes("evil.test") && n["error"] !== undefined),
    );
  },
);

browserTest(
  "An agent escalates from http_fetch to render_dom on a JavaScript shell and completes with the rendered price",
  async (world, runId) => {
    const { render, resolver } = tools(world);
    const { runTask } = await import("../loop.ts");
    const { ScriptedProvider } = await import("../providers/scripted.ts");
    const { JsShellDetector } = await import("../checks/js_shell.ts");
    const { EventBus } = await import("../../core/bus.ts");
    const { MemorySink } = await import("../../sinks/memory/mod.ts");
    const { newTaskSpec } = await import("../../core/contracts.ts");
    const url = `http://shop.test:${world.port}/app`;
    const sink = new MemorySink();
    const bus = new EventBus(sink);
    const provider = ScriptedProvider.fromMoves([
      { tool: "http_fetch", args: { url } },
      { tool: "render_dom", args: { url } },
      { text: '{"price": "$42.00"}' },
    ]);
    const fetchTool = new HttpFetch({ resolver, allowCidrs: [world.subnet] });
    const result = await runTask(
      newTaskSpec({ query: "What does the widget cost?" }),
      provider,
      {
        tools: new Map<string, import("../../core/types.ts").Tool>([["http_fetch", fetchTool], [
          "render_dom",
          render,
        ]]),
        detectors: new Map([["js-shell", new JsShellDetector()]]),
        validators: new Map(),
        gates: new Map(),
      },
      bus,
      { traceId: runId },
    );
    assert.deepEqual(result, { status: "success", value: { price: "$42.00" }, reason: null });
    const events = await sink.query();
    const escalated = events.find((e) => e.type === "harness.task.escalated");
    assert.equal(escalated?.payload["to_tier"], 2);
    assert.equal(escalated?.payload["reason"], "js-shell");
    const rendered = events.find((e) =>
      e.type === "harness.tool.returned" && e.payload["tool"] === "render_dom"
    );
    assert.ok(rendered, events.map((e) => e.type).join(","));
    const fetched = events.filter((e) => e.type === "data.source.fetched").map((e) =>
      JSON.stringify(e.payload)
    );
    assert.ok(
      fetched.some((p) => /Price: \$42\.00/.test(p)),
      "the rendered page is logged in full",
    );
    assert.ok(fetched.some((p) => !/Price: \$42\.00/.test(p)), "the tier-1 fetch saw no price");
    await bus.close();
  },
);
