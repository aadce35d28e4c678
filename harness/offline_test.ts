import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { runTask } from "../agent/loop.ts";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import { HttpFetch } from "../agent/tools/http_fetch.ts";
import { EventBus } from "../core/bus.ts";
import type { ModelRequest, ModelResponse } from "../core/contracts.ts";
import type { ModelProvider } from "../core/types.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { type Bundle, cloneBundle, readBundle } from "./bundle.ts";
import { captureBundle } from "./capture.ts";
import { replayOffline } from "./offline.ts";

/** Our own clean two-page agent (see `testdata/agents/README.md`), not a compat vector. */
const CAFE = fileURLToPath(new URL("./testdata/agents/bookshop-clean", import.meta.url));

async function cafe() {
  const config = await loadAgentConfig(CAFE);
  const bundle = await readBundle(`${CAFE}/fixtures/capture.json`);
  return { config, bundle, assembled: await assembleRun(config) };
}

Deno.test("capture of a live-style run replays offline to the same Result and event types", async () => {
  const { bundle: recorded, assembled } = await cafe();
  const pages = new Map(recorded.observations.http_fetch!.map((o) => [String(o.url), o]));
  const live = new HttpFetch({
    allowPrivate: true,
    env: () => undefined,
    transport: ({ url }) => {
      const o = pages.get(url);
      return Promise.resolve({ status: Number(o?.status ?? 404), body: String(o?.html ?? "") });
    },
  });
  const tools = new Map(assembled.plugins.tools);
  tools.set("http_fetch", live);
  const bus = new EventBus(new MemorySink());
  const result = await runTask(
    assembled.spec,
    ScriptedProvider.fromMoves(recorded.moves as Record<string, unknown>[]),
    { ...assembled.plugins, tools },
    bus,
  );
  const events = await bus.query();
  await bus.close();
  assert.equal(result.status, "success");
  const returned = events.find((e) => e.type === "harness.tool.returned")!;
  assert.ok(
    "html_len" in (returned.payload.observation as Record<string, unknown>),
    "tool.returned is summarised",
  );

  const bundle = captureBundle(events, result, { task: assembled.spec.query, model: null });
  assert.equal(bundle.observations.http_fetch!.length, 2);
  assert.equal(
    bundle.observations.http_fetch![1]!.html,
    recorded.observations.http_fetch![1]!.html,
    "full content kept",
  );
  assert.deepEqual(bundle.moves.slice(0, 2), recorded.moves.slice(0, 2));
  assert.deepEqual(JSON.parse((bundle.moves[2] as { text: string }).text), result.value);
  assert.equal(bundle.zu_bundle_version, 1);

  const replay = await replayOffline(assembled, bundle);
  assert.deepEqual(replay.result, result);
  assert.deepEqual(replay.events.map((e) => e.type), events.map((e) => e.type));
  assert.deepEqual(replay.unused, []);
});

Deno.test("captureBundle writes zu's json.dumps of the value and skips browser op=close", () => {
  const ev = (type: string, source: string, payload: Record<string, unknown>) => ({
    event_id: crypto.randomUUID(),
    trace_id: "t",
    task_id: "t",
    parent_id: null,
    type,
    ts: "x",
    source,
    payload,
    schema_version: 1,
    prev_hash: null,
    hash: null,
    sig: null,
  });
  const events = [
    ev("harness.tool.invoked", "browser", {
      tool: "browser",
      args: { op: "open", url: "https://a/" },
    }),
    ev("data.source.fetched", "browser", { text: "Café 08:30", rendered: true }),
    ev("harness.tool.returned", "browser", {
      tool: "browser",
      observation: { text_len: 10, rendered: true },
    }),
    ev("harness.tool.invoked", "browser", { tool: "browser", args: { op: "close" } }),
    ev("harness.tool.returned", "browser", { tool: "browser", observation: { closed: true } }),
  ];
  const b = captureBundle(events, {
    status: "success",
    value: { name: "Café", n: 1 },
    reason: null,
  }, { task: "q", model: "m", includeVersion: false });
  assert.deepEqual(b.observations, { browser: [{ text: "Café 08:30", rendered: true }] });
  assert.equal(b.moves.length, 3);
  assert.deepEqual(b.moves[2], { text: '{"name": "Caf\\u00e9", "n": 1}', finish: "stop" });
  assert.throws(
    () =>
      captureBundle(events, { status: "terminal", value: null, reason: "x" }, {
        task: "q",
        model: null,
      }),
    /only a successful run makes a bundle/,
  );
});

Deno.test("a replay past the recording ends the run non-success with zu's overrun error", async () => {
  const { bundle, assembled } = await cafe();
  const short: Bundle = cloneBundle(bundle);
  short.observations.http_fetch!.pop();
  const out = await replayOffline(assembled, short);
  assert.notEqual(out.result.status, "success");
  assert.equal(out.result.reason, "fixture-overrun");
  assert.equal(out.fixtureErrors.length, 1);
  assert.match(
    out.fixtureErrors[0]!.message,
    /^http_fetch fixture overrun \(recorded 1 observations; /,
  );
  const returned = out.events.filter((e) => e.type === "harness.tool.returned").pop()!;
  assert.match(
    String((returned.payload.observation as Record<string, unknown>).error),
    /^http_fetch fixture overrun/,
  );
  assert.ok(out.events.some((e) => e.type === "harness.detector.fired"));
});

Deno.test("recorded observations the run never used are reported", async () => {
  const { bundle, assembled } = await cafe();
  const long = cloneBundle(bundle);
  long.observations.http_fetch!.push({
    status: 200,
    url: "https://libreria-nandu.example/extra",
    html: "x",
  });
  long.observations.render_dom = [{ html: "y" }];
  const out = await replayOffline(assembled, long);
  assert.equal(out.result.status, "success");
  assert.deepEqual(out.unused, [
    { tool: "http_fetch", index: 2, url: "https://libreria-nandu.example/extra" },
    { tool: "render_dom", index: 0 },
  ]);
});

class DriftingModel implements ModelProvider {
  readonly capabilities = { native_tools: true, vision: false, max_context: 1000 };
  readonly model = "drifting";
  #i = 0;
  complete(_r: ModelRequest): Promise<ModelResponse> {
    const urls = [
      "https://libreria-nandu.example/picks",
      "https://libreria-nandu.example/",
      "https://libreria-nandu.example/picks2",
    ];
    const url = urls[this.#i++];
    if (url === undefined) {
      return Promise.resolve({ text: null, tool_calls: [], finish: "stop", usage: {} });
    }
    return Promise.resolve({
      text: null,
      tool_calls: [{ name: "http_fetch", args: { url } }],
      finish: "tool_calls",
      usage: {},
    });
  }
}

Deno.test("live mode matches calls by tool and arguments and names the nearest recording on a miss", async () => {
  const { bundle, assembled } = await cafe();
  const out = await replayOffline(assembled, bundle, {
    mode: "live",
    provider: new DriftingModel(),
  });
  const fetched = out.events.filter((e) => e.type === "data.source.fetched").map((e) =>
    e.payload.url
  );
  assert.deepEqual(fetched, [
    "https://libreria-nandu.example/picks",
    "https://libreria-nandu.example/",
  ]);
  assert.equal(out.fixtureErrors.length, 1);
  assert.equal(
    out.fixtureErrors[0]!.message,
    'no recorded observation for http_fetch(url="https://libreria-nandu.example/picks2") — nearest recorded: http_fetch(url="https://libreria-nandu.example/picks") (already used)',
  );
  assert.equal(out.result.reason, "fixture-overrun");
});

Deno.test("offline replay succeeds in a child deno run with no --allow-net at all", async () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      `--allow-read=${root}`,
      // npm:yaml (the agent.yaml parser) reads these two debug switches; nothing else is granted.
      "--allow-env=LOG_TOKENS,LOG_STREAM",
      "harness/_offline_child.ts",
      CAFE,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await cmd.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  const line = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").pop()!);
  assert.equal(line.status, "success");
  assert.deepEqual(line.value, { name: "Librería Ñandú", closes: "19:45", featured: "雪国" });
  assert.notEqual(line.net, "granted");
  assert.equal(line.probe, "NotCapable");
});

Deno.test("a recorded error observation replays as zu's 502 page, a raised fault as the exception", async () => {
  const { bundle, assembled } = await cafe();
  const b = cloneBundle(bundle);
  b.observations.http_fetch![0] = { error: "ConnectError: refused" };
  b.observations.http_fetch![1] = { error: "TimeoutError: slow", raise: true };
  const out = await replayOffline(assembled, b);
  const fetched = out.events.filter((e) => e.type === "data.source.fetched");
  assert.equal(fetched.length, 1);
  assert.equal(fetched[0]!.payload.status, 502);
  assert.equal(fetched[0]!.payload.html, "ConnectError: refused");
  const last = out.events.filter((e) => e.type === "harness.tool.returned").pop()!;
  assert.deepEqual(last.payload.observation, { error: "TimeoutError: slow" });
  assert.notEqual(out.result.status, "success");
});

Deno.test("browser and render_dom doubles replay in order, answer close without a recording and raise faults", async () => {
  const { assembled } = await cafe();
  const fake = (name: string, tier: number) => ({
    name,
    tier,
    schema: {
      name,
      description: `${name} (real one is never called)`,
      parameters: { type: "object" },
    },
    call: () => Promise.reject(new Error("the real tool must not run offline")),
  });
  const tools = new Map(assembled.plugins.tools);
  tools.set("browser", fake("browser", 1));
  tools.set("render_dom", fake("render_dom", 1));
  const asm = { ...assembled, plugins: { ...assembled.plugins, tools } };
  const bundle: Bundle = {
    task: "q",
    model: null,
    moves: [
      { tool: "browser", args: { op: "open", url: "https://libreria-nandu.example/" } },
      { tool: "render_dom", args: { url: "https://libreria-nandu.example/picks" } },
      { tool: "browser", args: { op: "close" } },
      { tool: "browser", args: { op: "read" } },
      { text: '{"name": "Librería Ñandú", "closes": "19:45", "featured": "雪国"}' },
    ],
    observations: {
      browser: [
        { rendered: true, text: "Librería Ñandú – 大阪 open until 19:45" },
        { error: "TimeoutError: page hung", raise: true },
      ],
      render_dom: [{ rendered: true, html: "<li>雪国</li>" }],
    },
  };
  const out = await replayOffline(asm, bundle);
  const returned = out.events.filter((e) => e.type === "harness.tool.returned").map((e) =>
    e.payload.observation
  );
  assert.deepEqual(returned[2], { closed: true });
  assert.deepEqual(returned[3], { error: "TimeoutError: page hung" });
  assert.deepEqual(out.unused, []);
  assert.equal(out.result.status, "success");
});

/** Plays `moves` like the scripted model and keeps every request it was sent. */
class RecordingScript implements ModelProvider {
  readonly capabilities = { native_tools: true, vision: false, max_context: 100000 };
  readonly model = "recording";
  readonly requests: ModelRequest[] = [];
  #inner: ScriptedProvider;
  constructor(moves: Record<string, unknown>[]) {
    this.#inner = ScriptedProvider.fromMoves(moves);
  }
  complete(r: ModelRequest): Promise<ModelResponse> {
    this.requests.push(r);
    return this.#inner.complete(r);
  }
}

Deno.test("offline replay bounds the history sent to the model by the agent's max_context_chars", async () => {
  const { bundle, assembled } = await cafe();
  const long: Bundle = cloneBundle(bundle);
  const fetches = long.moves.slice(0, 2);
  long.moves = [...fetches, ...fetches, ...long.moves.slice(2)];
  long.observations.http_fetch = [
    ...long.observations.http_fetch!,
    ...long.observations.http_fetch!,
  ];
  const replayWith = async (maxContextChars: number | null) => {
    const model = new RecordingScript(long.moves as Record<string, unknown>[]);
    const agent = { ...assembled, runOptions: { ...assembled.runOptions, maxContextChars } };
    const out = await replayOffline(agent, long, { mode: "live", provider: model });
    assert.equal(out.result.status, "success");
    const last = model.requests.at(-1)!;
    return last.messages.filter((m) => m.role === "tool").map((m) => m.content);
  };
  const unbounded = await replayWith(null);
  assert.equal(unbounded.length, 4);
  assert.ok(unbounded.every((c) => !c.includes("use recall(")));
  const bounded = await replayWith(200);
  assert.equal(bounded.length, 4);
  assert.match(bounded[0]!, /elided … use recall\(<keyword>\)/);
  assert.deepEqual(bounded.slice(1), unbounded.slice(1));
});
