import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import type { RunContext, Tool } from "../core/types.ts";
import { assembleRun, loadAgentConfig } from "./config.ts";
import { sinkRegistry } from "../sinks/registry.ts";
import { ScriptedProvider } from "./providers/scripted.ts";
import { OpenAICompatibleProvider } from "./providers/openai_compatible.ts";
import { AnthropicProvider } from "./providers/anthropic.ts";
import { parse as parseYaml } from "yaml";
import { fileURLToPath } from "node:url";
import { dirName, hardenAgentUrls } from "./_compat_test_util.ts";

const SHOP = new URL("../fixtures/agents/shop-price/", import.meta.url);
const PLUGINS = new URL("./testdata/agent_plugins/plugins.ts", import.meta.url);

const ctx = {} as RunContext;

async function agentDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_agent_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, name, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, name), text);
  }
  return dir;
}

const BASE = `provider:
  name: scripted
task:
  query: Find the price
`;

async function loadError(yaml: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = await agentDir({ "agent.yaml": yaml, ...extra });
  try {
    await loadAgentConfig(join(dir, "agent.yaml"), { sinkDrivers: sinkRegistry });
  } catch (e) {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.equal(e.code, "config_invalid");
    assert.ok(!e.message.includes("\n"), `more than one line: ${e.message}`);
    return e.message.replace(`"${join(dir, "agent.yaml")}"`, '"A"');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  throw new Error("loadAgentConfig did not fail");
}

Deno.test("loadAgentConfig reads the shop-price example agent", async () => {
  const config = await loadAgentConfig(new URL("agent.yaml", SHOP).pathname);
  assert.deepEqual(config.warnings, []);
  assert.equal(config.provider.name, "scripted");
  assert.equal(config.provider.script?.length, 2);
  assert.deepEqual([...config.tiers.keys()], [1]);
  assert.deepEqual(config.plugins.tools.map((r) => r.ref), ["http_fetch", "html_parse", "recall"]);
  assert.deepEqual(config.plugins.detectors.map((r) => r.ref), ["empty", "error"]);
  assert.deepEqual(config.event_sink, {
    driver: "sqlite",
    path: ".zu/events.db",
    encryption: "none",
    options: {},
  });
  assert.equal(config.task?.target, "https://shop.example/products/espresso-grinder");
  assert.deepEqual(config.task?.output_schema.required, ["product", "price"]);
  const page = await Deno.readTextFile(new URL("pages/product.html", SHOP));
  assert.match(page, /<span class="price price--current"[^>]*>\$249\.00<\/span>/);
});

Deno.test("assembleRun builds the shop-price run: tools with tiers, checks, gate, task", async () => {
  const config = await loadAgentConfig(new URL("./", SHOP).pathname);
  const run = await assembleRun(config);
  assert.ok(run.provider instanceof ScriptedProvider);
  assert.deepEqual([...run.plugins.tools.keys()], ["http_fetch", "html_parse", "recall"]);
  assert.deepEqual([...run.plugins.tools.values()].map((t) => t.tier), [1, 1, 1]);
  assert.deepEqual([...run.plugins.detectors.keys()], ["empty", "error"]);
  assert.deepEqual([...run.plugins.validators.keys()], ["schema", "grounding"]);
  assert.deepEqual([...run.plugins.gates.keys()], ["allowed_domains"]);
  assert.equal(run.spec.query.startsWith("Find the product name"), true);
  assert.equal(run.spec.max_tier, 1);
  assert.deepEqual(run.spec.budget, {
    max_steps: 6,
    max_tokens: 50000,
    wall_time_s: 60,
    max_tool_calls: 32,
    settle_ms_max: 0,
    stale_retries_max: 2,
  });
  assert.equal(run.runOptions.containment, "audit");
  assert.equal(run.sink?.driver, "sqlite");
  assert.deepEqual(run.allowedDomains, ["shop.example"]);
  // allowed_domains reaches the tool too: an off-list URL is refused before any network
  const fetchTool = run.plugins.tools.get("http_fetch")!;
  await assert.rejects(fetchTool.call(ctx, { url: "https://evil.example/" }), /allowed_domains/);
  const gate = run.plugins.gates.get("allowed_domains")!;
  assert.equal(gate.check({ name: "http_fetch", args: { url: config.task!.target! } }, ctx), null);
  assert.equal(
    (await gate.check({ name: "http_fetch", args: { url: "https://evil.example/" } }, ctx))
      ?.severity,
    "deny",
  );
  // the scripted moves are played in order
  const first = await run.provider.complete({ messages: [], tools: [], params: {} });
  assert.deepEqual(first.tool_calls, [{
    name: "http_fetch",
    args: { url: "https://shop.example/products/espresso-grinder" },
  }]);
});

Deno.test("loadAgentConfig reads zu's own harden agents without warnings", async () => {
  const dirs = hardenAgentUrls();
  assert.ok(dirs.length > 0, "no agent directory found under the compat harden folder");
  for (const dir of dirs) {
    const name = dirName(dir);
    const yamlPath = fileURLToPath(new URL("agent.yaml", dir));
    // What the agent declares, read straight from its YAML (nothing assumed about its content).
    const raw = parseYaml(await Deno.readTextFile(yamlPath)) as {
      tiers?: Record<string, string[]>;
      budget?: { max_steps?: number };
      task?: { max_tier?: number };
    };
    const declared = Object.entries(raw.tiers ?? {}).flatMap(([tier, names]) =>
      names.map((n) => [n, Number(tier)] as const)
    );
    const config = await loadAgentConfig(yamlPath);
    assert.deepEqual(config.warnings, [], name);
    const run = await assembleRun(config);
    assert.deepEqual(
      [...run.plugins.tools.keys()].sort(),
      declared.map(([n]) => n).sort(),
      name,
    );
    for (const [tool, tier] of declared) {
      assert.equal(run.plugins.tools.get(tool)!.tier, tier, `${name}: ${tool}`);
    }
    if (raw.budget?.max_steps !== undefined) {
      assert.equal(run.spec.budget.max_steps, raw.budget.max_steps, name);
    }
    if (raw.task?.max_tier !== undefined) assert.equal(run.spec.max_tier, raw.task.max_tier, name);
  }
});

Deno.test("loadAgentConfig reads agent.json from a directory", async () => {
  const dir = await agentDir({
    "agent.json": JSON.stringify({
      provider: { name: "scripted", script: [{ text: "{}" }] },
      plugins: { validators: ["schema"] },
      containment: "required",
      task: { query: "q", output_schema: { type: "object" } },
    }),
  });
  try {
    const config = await loadAgentConfig(dir);
    assert.equal(config.path, join(dir, "agent.json"));
    assert.equal(config.containment, "required");
    assert.deepEqual(config.plugins.validators.map((v) => v.ref), ["schema"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAgentConfig returns unknown keys as warnings, with a did-you-mean when one is close", async () => {
  const dir = await agentDir({
    "agent.yaml": `${BASE}  colour: blue
name: my agent
plugins:
  tools: [recall]
  monitors: [x]
budget:
  max_steps: 3
  max_stepz: 4
`,
  });
  try {
    const file = join(dir, "agent.yaml");
    const config = await loadAgentConfig(file);
    assert.deepEqual(
      config.warnings,
      [
        `Agent "${file}": key "name" is not a known key (ignored)`,
        `Agent "${file}": key "task.colour" is not a known key (ignored)`,
        `Agent "${file}": key "plugins.monitors" is not a known key (ignored)`,
        `Agent "${file}": key "budget.max_stepz" is not a known key (ignored) (did you mean "max_steps"?)`,
      ].sort((a, b) => config.warnings.indexOf(a) - config.warnings.indexOf(b)),
    );
    assert.equal(config.warnings.length, 4);
    assert.equal(config.budget.max_steps, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAgentConfig resolves module-path plugins relative to the agent directory", async () => {
  const source = await Deno.readTextFile(PLUGINS);
  const dir = await agentDir({
    "tools/plugins.ts": source,
    "agent.yaml": `provider: {name: scripted}
tiers:
  2:
    - {ref: "./tools/plugins.ts#PriceTool", args: {name: price_lookup}}
plugins:
  tools: [recall]
  detectors:
    - {ref: ./tools/plugins.ts#makeDetector, args: {threshold: 3}}
    - empty
  validators: [schema, "./tools/plugins.ts#priceValidator"]
action_policies: read-only
task: {query: q}
`,
  });
  try {
    const config = await loadAgentConfig(join(dir, "agent.yaml"));
    const run = await assembleRun(config);
    assert.deepEqual([...run.plugins.tools.keys()], ["recall", "price_lookup"]);
    const tool = run.plugins.tools.get("price_lookup") as Tool & { args: unknown };
    assert.equal(tool.tier, 2);
    assert.deepEqual(tool.args, { name: "price_lookup" });
    assert.equal(run.plugins.tools.get("recall")!.tier, 1);
    const det = run.plugins.detectors.get("price_missing") as unknown as { threshold: number };
    assert.equal(det.threshold, 3);
    assert.deepEqual([...run.plugins.validators.keys()], ["schema", "price_format"]);
    // read-only: the tool's declared write op is denied, its read op allowed
    const gate = run.plugins.gates.get("action_policies")!;
    assert.equal(
      (await gate.check({ name: "price_lookup", args: { op: "buy" } }, ctx))?.severity,
      "deny",
    );
    assert.equal(await gate.check({ name: "price_lookup", args: { op: "read" } }, ctx), null);
    // each assembleRun builds fresh instances
    const again = await assembleRun(config);
    assert.notEqual(again.plugins.tools.get("price_lookup"), tool);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("action_policies: the first matching rule wins and the default allows", async () => {
  const dir = await agentDir({
    "p.ts": await Deno.readTextFile(PLUGINS),
    "agent.yaml": `${BASE}plugins:
  tools: ["./p.ts#PriceTool", http_fetch]
action_policies:
  - {tool: price_tool, op: buy, match: "sku-9", effect: allow}
  - {tool: price_tool, op: buy, effect: escalate}
  - {tool: http_fetch, match: "*//internal.*", effect: deny}
`,
  });
  try {
    const run = await assembleRun(await loadAgentConfig(join(dir, "agent.yaml")));
    const gate = run.plugins.gates.get("action_policies")!;
    const check = async (name: string, args: Record<string, unknown>) =>
      (await gate.check({ name, args }, ctx))?.severity ?? "allow";
    assert.equal(await check("price_tool", { op: "buy", sku: "SKU-123" }), "escalate");
    assert.equal(await check("price_tool", { op: "buy" }), "escalate");
    assert.equal(await check("price_tool", { sku: "SKU-9", op: "buy" }), "allow");
    assert.equal(await check("price_tool", { op: "read" }), "allow");
    assert.equal(await check("http_fetch", { url: "https://internal.example/" }), "deny");
    assert.equal(await check("http_fetch", { url: "https://shop.example/" }), "allow");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleRun builds live providers per tier from zu's option names", async () => {
  const dir = await agentDir({
    "agent.yaml": `provider:
  name: openai-compatible
  model: llama3.1
  base_url_env: LOCAL_LLM_URL
  options: {timeout: 2.5, max_retries: 4, temperature: 0.1, seed: 7}
providers:
  2: {name: anthropic, model: claude-opus-4-8, max_tokens: 1024}
replay: {finish_model: llama3.1-small}
task: {query: q, budget: {max_steps: 2}}
budget: {max_steps: 9, max_tokens: 1000}
`,
  });
  try {
    const run = await assembleRun(await loadAgentConfig(join(dir, "agent.yaml")));
    assert.ok(run.provider instanceof OpenAICompatibleProvider);
    assert.equal(run.provider.model, "llama3.1");
    assert.equal(run.provider.timeoutMs, 2500);
    assert.equal(run.provider.maxRetries, 4);
    assert.equal(run.provider.baseUrlEnv, "LOCAL_LLM_URL");
    const t2 = run.providers.get(2);
    assert.ok(t2 instanceof AnthropicProvider);
    assert.equal(t2.maxTokens, 1024);
    assert.equal(run.runOptions.finishProvider?.model, "llama3.1-small");
    // a task budget replaces the top-level one (zu's rule): max_tokens falls back to the default
    assert.equal(run.spec.budget.max_steps, 2);
    assert.equal(run.spec.budget.max_tokens, 200_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleRun needs a task unless one is given", async () => {
  const dir = await agentDir({ "agent.yaml": "provider: {name: scripted}\n" });
  try {
    const config = await loadAgentConfig(join(dir, "agent.yaml"));
    assert.equal(config.task, null);
    await assert.rejects(assembleRun(config), /task is required to run/);
    const run = await assembleRun(config, {
      task: {
        query: "from the CLI",
        target: "https://x.example/",
        task_id: "11111111-1111-4111-8111-111111111111",
      },
    });
    assert.equal(run.spec.query, "from the CLI");
    assert.equal(run.spec.task_id, "11111111-1111-4111-8111-111111111111");
    assert.equal(run.spec.budget.max_steps, 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAgentConfig errors name the file and the key in one line", async () => {
  const cases: Array<[string, string | RegExp, Record<string, string>?]> = [
    ["task: {query: q}\n", 'Cannot load agent "A": provider is required'],
    ["provider: {model: x}\n", 'Cannot load agent "A": provider.name is required'],
    [
      "provider: scripted\n",
      'Cannot load agent "A": provider must be a mapping, got string "scripted"',
    ],
    [
      `${BASE}budget: {max_steps: ten}\n`,
      'Cannot load agent "A": budget.max_steps must be an integer, got string "ten"',
    ],
    [
      `${BASE}plugins:\n  tools: [http_fetch, htp_fetch]\n`,
      'Cannot load agent "A": plugins.tools[1] "htp_fetch" is not a known tool (known: "browser", "html_parse", "http_fetch", "recall", "render_dom", "run_code", "shell")',
    ],
    [
      `${BASE}plugins:\n  detectors: [emptyy]\n`,
      /^Cannot load agent "A": plugins\.detectors\[0\] "emptyy" is not a known detector \(known: "bot-wall", /,
    ],
    [
      "provider: {name: gpt}\n",
      'Cannot load agent "A": provider.name "gpt" is not a known provider (known: "anthropic", "openai-compatible", "scripted")',
    ],
    [
      `${BASE}tiers:\n  1: ["./tools/missing.ts#X"]\n`,
      'Cannot load agent "A": tiers.1[0] module "./tools/missing.ts" does not exist',
    ],
    [
      `${BASE}plugins:\n  tools: ["./p.ts#Nope"]\n`,
      'Cannot load agent "A": plugins.tools[0] module "./p.ts" does not export "Nope" (exports: "PriceTool", "answer", "makeDetector", "notATool", "priceValidator")',
      { "p.ts": "PLUGINS" },
    ],
    [
      `${BASE}plugins:\n  tools: ["./p.ts"]\n`,
      'Cannot load agent "A": plugins.tools[0] module path "./p.ts" names no export (write "./p.ts#Name")',
      { "p.ts": "PLUGINS" },
    ],
    [
      `${BASE}plugins:\n  tools: ["./p.ts#notATool"]\n`,
      'Cannot load agent "A": plugins.tools[0] "./p.ts#notATool" did not produce a tool: missing "schema" (object), "call" (function)',
      { "p.ts": "PLUGINS" },
    ],
    [
      `${BASE}plugins:\n  validators: ["./p.ts#answer"]\n`,
      'Cannot load agent "A": plugins.validators[0] "./p.ts#answer" did not produce a validator (got number)',
      { "p.ts": "PLUGINS" },
    ],
    [
      `${BASE}plugins:\n  tools: ["./bad.ts#X"]\n`,
      /^Cannot load agent "A": plugins\.tools\[0\] module "\.\/bad\.ts" failed to load: /,
      { "bad.ts": "export const X = ;\n" },
    ],
    [
      `${BASE}plugins:\n  tools: ["tools.price:PriceTool"]\n`,
      'Cannot load agent "A": plugins.tools[0] "tools.price:PriceTool" is a Python import path; name a module file instead, such as "./tools/price.ts#PriceTool"',
    ],
    [
      `${BASE}plugins:\n  tools: [{ref: http_fetch, args: {retries: 3}}]\n`,
      /^Cannot load agent "A": plugins\.tools\[0\] "http_fetch" cannot be built: .*unknown argument "retries"/,
    ],
    [
      `${BASE}plugins:\n  tools: [recall, recall]\n`,
      'Cannot load agent "A": plugins.tools[1] tool "recall" is listed twice',
    ],
    [
      "provider: {name: openai-compatible}\n",
      'Cannot load agent "A": provider.model is required by provider "openai-compatible"',
    ],
    [
      "provider: {name: anthropic, options: {timeout: soon}}\n",
      'Cannot load agent "A": provider.options.timeout must be a number of at least 0.001, got "soon"',
    ],
    [
      "provider: {name: scripted, script: [{tool: x, bogus: 1}]}\n",
      /^Cannot load agent "A": provider\.script .*key "bogus" is not allowed$/,
    ],
    [
      `${BASE}event_sink: {driver: mysql}\n`,
      'Cannot load agent "A": event_sink.driver "mysql" is not a known sink driver (known: "jsonl", "memory", "postgres", "sqlite")',
    ],
    [
      `${BASE}event_sink: {path: x.db}\n`,
      'Cannot load agent "A": event_sink.driver is required',
    ],
    [
      `${BASE}trace_sinks: [{driver: jsonl, encryption: rot13}]\n`,
      'Cannot load agent "A": trace_sinks[0].encryption must be one of "none", "aesgcm", "managed", got "rot13"',
    ],
    [
      `${BASE}trace_sinks: [{driver: jsonl, encryption: aesgcm}]\n`,
      'Cannot load agent "A": trace_sinks[0].encryption "aesgcm" is not supported by driver "jsonl" (it stores plain text)',
    ],
    [
      `${BASE}event_sink: {driver: sqlite, options: {sign_key: abc}}\n`,
      'Cannot load agent "A": event_sink.options.sign_key is not an option of driver "sqlite" (its options: "busy_timeout_ms", "filter_fields", "max_batch", "sign_key_env")',
    ],
    [
      `${BASE}event_sink: {driver: sqlite, compress: true}\n`,
      'Cannot load agent "A": event_sink.compress is not a sink key (sink keys: "driver", "path", "encryption", "options")',
    ],
    [
      `${BASE}event_sink: {driver: sqlite, options: {max_batch: 0}}\n`,
      'Cannot load agent "A": event_sink.options.max_batch must be a whole number >= 1, got "0"',
    ],
    [
      `${BASE}trace_sinks: [{driver: jsonl, options: {sign_key_env: K}}]\n`,
      'Cannot load agent "A": trace_sinks[0].options.sign_key_env is not used by a trace sink: it stores the event_sink\'s already linked copy (set sign_key_env on event_sink)',
    ],
    [
      `${BASE}event_sink: {driver: memory, path: x.db}\n`,
      'Cannot load agent "A": event_sink.path is not used by driver "memory" (it keeps no file)',
    ],
    [
      `${BASE}containment: strict\n`,
      'Cannot load agent "A": containment must be one of "audit", "required", got "strict"',
    ],
    [
      `${BASE}observation_strategy: summarise\n`,
      'Cannot load agent "A": observation_strategy must be one of "truncate", "extract", got "summarise"',
    ],
    [
      `${BASE}allowed_domains: ["https://shop.example/"]\n`,
      'Cannot load agent "A": allowed_domains[0] "https://shop.example/": give a host such as "*.example.com", not a URL or path',
    ],
    [
      `${BASE}action_policies: [{tool: http_fetch, effect: block}]\n`,
      'Cannot load agent "A": action_policies[0].effect must be one of "deny", "escalate", "allow", got "block"',
    ],
    [
      `${BASE}action_policies: [write-only]\n`,
      'Cannot load agent "A": action_policies[0] "write-only" is not a known preset (the only preset is "read-only")',
    ],
    [
      `${BASE}plugins: {tools: [recall]}\naction_policies: [{tool: http_fetch, effect: deny}]\n`,
      'Cannot load agent "A": action_policies[0].tool "http_fetch" is not an active tool (active: "recall")',
    ],
    [
      `${BASE}plugins: {tools: [recall]}\naction_policies: [{tool: recall, op: act, effect: deny}]\n`,
      'Cannot load agent "A": action_policies[0].op cannot apply: tool "recall" has no "op" parameter',
    ],
    [
      `${BASE}plugins: {tools: ["./p.ts#PriceTool"]}\naction_policies: [{tool: price_tool, op: sell, effect: deny}]\n`,
      'Cannot load agent "A": action_policies[0].op "sell" is not an op of tool "price_tool" (known: "read", "buy")',
      { "p.ts": "PLUGINS" },
    ],
    [
      `${BASE}tiers: {first: [recall]}\n`,
      'Cannot load agent "A": tiers.first is not a tier number (tiers are integers from 1)',
    ],
    [
      "provider: {name: scripted}\ntask: {target: x}\n",
      'Cannot load agent "A": task.query is required',
    ],
    [
      "provider: {name: scripted}\ntask: {query: q, mode: wander}\n",
      'Cannot load agent "A": task.mode must be one of "execute", "explore", got "wander"',
    ],
    [
      "provider: {name: scripted}\ntask: {query: q, output_schema: [a]}\n",
      'Cannot load agent "A": task.output_schema must be a mapping, got a list',
    ],
    [
      "provider:\n  name: scripted\n  model: [1,\n  x: y\n",
      /^Cannot load agent "A": is not valid YAML at \d+:\d+: /,
    ],
    [
      "provider: {name: a}\nprovider: {name: b}\n",
      /^Cannot load agent "A": is not valid YAML at 2:1: .*[Mm]ap keys must be unique/,
    ],
    [
      "- just\n- a list\n",
      'Cannot load agent "A": the file must hold a mapping at the top level, got a list',
    ],
  ];
  const pluginSource = await Deno.readTextFile(PLUGINS);
  for (const [yaml, expected, extra] of cases) {
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(extra ?? {})) files[k] = v === "PLUGINS" ? pluginSource : v;
    const msg = await loadError(yaml, files);
    if (typeof expected === "string") assert.equal(msg, expected, `for:\n${yaml}`);
    else assert.match(msg, expected, `for:\n${yaml}`);
  }
});

Deno.test("loadAgentConfig reports a missing file and a bad agent.json in one line", async () => {
  await assert.rejects(
    loadAgentConfig("/nonexistent/zu/agent.yaml"),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'Cannot load agent "/nonexistent/zu/agent.yaml": the file does not exist',
  );
  const dir = await agentDir({ "agent.json": '{\n  "provider": {"name": "scripted",}\n}' });
  try {
    await assert.rejects(loadAgentConfig(dir), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /agent\.json": is not valid JSON/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
    const empty = await Deno.makeTempDir();
    await assert.rejects(loadAgentConfig(empty), /holds no agent\.yaml, agent\.yml, agent\.json/);
    await Deno.remove(empty);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("The shop-price agent runs to success with its page served by a fixture transport", async () => {
  const { runTask } = await import("./loop.ts");
  const { EventBus } = await import("../core/bus.ts");
  const { MemorySink } = await import("../sinks/memory/mod.ts");
  const { HttpFetch } = await import("./tools/mod.ts");
  const config = await loadAgentConfig(new URL("./", SHOP).pathname);
  const run = await assembleRun(config);
  const page = await Deno.readTextFile(new URL("pages/product.html", SHOP));
  const served: string[] = [];
  const fetchTool = new HttpFetch({
    allowedDomains: run.allowedDomains ?? [],
    transport: (req) => {
      served.push(req.url);
      return Promise.resolve({ status: 200, body: page });
    },
  });
  fetchTool.tier = 1;
  run.plugins.tools.set("http_fetch", fetchTool);
  const sink = new MemorySink();
  await using bus = new EventBus(sink);
  const result = await runTask(run.spec, run.provider, run.plugins, bus, run.runOptions);
  assert.deepEqual(result, {
    status: "success",
    value: { product: "Kestrel 58 Espresso Grinder", price: "$249.00" },
    reason: null,
  });
  assert.deepEqual(served, ["https://shop.example/products/espresso-grinder"]);
  const types = (await sink.query()).map((e) => e.type);
  assert.ok(types.includes("data.source.fetched"), types.join());
});

Deno.test("The cafe-hours agent replays its capture to success", async () => {
  const { runTask } = await import("./loop.ts");
  const { EventBus } = await import("../core/bus.ts");
  const { MemorySink } = await import("../sinks/memory/mod.ts");
  const { HttpFetch } = await import("./tools/mod.ts");
  const dir = new URL("../fixtures/agents/cafe-hours/", import.meta.url);
  const config = await loadAgentConfig(dir.pathname);
  assert.deepEqual(config.warnings, []);
  const capture = JSON.parse(await Deno.readTextFile(new URL("fixtures/capture.json", dir)));
  const observations = [...capture.observations.http_fetch] as Array<
    { status: number; url: string; html: string }
  >;
  const run = await assembleRun(config);
  const fetchTool = new HttpFetch({
    transport: (req) => {
      const next = observations.shift();
      assert.equal(req.url, next?.url);
      return Promise.resolve({ status: next!.status, body: next!.html });
    },
  });
  fetchTool.tier = 1;
  run.plugins.tools.set("http_fetch", fetchTool);
  const sink = new MemorySink();
  await using bus = new EventBus(sink);
  const result = await runTask(
    run.spec,
    ScriptedProvider.fromMoves(capture.moves),
    run.plugins,
    bus,
    run.runOptions,
  );
  assert.deepEqual(result, {
    status: "success",
    value: { name: "Padaria Aurora", opens: "07:30", closes: "19:00" },
    reason: null,
  });
  assert.equal(observations.length, 0);
  assert.equal(capture.task, run.spec.query);
});

Deno.test("An api_key written in the agent file warns and never shows in the config", async () => {
  const secret = "sk-in-file-0123456789abcdef";
  const dir = await agentDir({
    "agent.yaml": `provider: {name: openai-compatible, model: m, api_key: ${secret}}\n`,
  });
  try {
    const config = await loadAgentConfig(join(dir, "agent.yaml"));
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /"provider\.api_key" puts a secret in the file/);
    assert.equal(config.provider.api_key, secret);
    for (const view of [JSON.stringify(config), Deno.inspect(config, { depth: 10 })]) {
      assert.ok(!view.includes(secret), view);
    }
    const run = await assembleRun(config, { task: { query: "q" } });
    assert.ok(!Deno.inspect(run, { depth: 10 }).includes(secret));
    assert.ok(!JSON.stringify(run).includes(secret));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleRun passes the run knobs of the agent file to runTask's options", async () => {
  const dir = await agentDir({
    "agent.yaml": `${BASE}max_observation_chars: 4000
max_context_chars: 60000
observation_strategy: extract
containment: required
replay: {budget: {max_steps: 4}, jitter_median_ms: 0}
backend: local-docker
trace_sinks: [{driver: jsonl, path: trace.jsonl}]
observability: {review_queue: null, scope: full}
`,
  });
  try {
    const config = await loadAgentConfig(join(dir, "agent.yaml"));
    assert.deepEqual(config.warnings, []);
    const run = await assembleRun(config);
    const { providers: _p, ...rest } = run.runOptions;
    assert.deepEqual(rest, {
      containment: "required",
      maxObservationChars: 4000,
      maxContextChars: 60000,
      observationStrategy: "extract",
      replayBudget: { ...run.spec.budget, max_steps: 4 },
      finishProvider: null,
      replayJitterMedianMs: 0,
    });
    assert.equal(run.backend, "local-docker");
    assert.deepEqual(run.traceSinks, [{
      driver: "jsonl",
      path: "trace.jsonl",
      encryption: "none",
      options: {},
    }]);
    assert.deepEqual(config.observability, { review_queue: null, scope: "full" });
    assert.equal(run.sink, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
