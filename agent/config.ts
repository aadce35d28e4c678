/**
 * Agent files: `loadAgentConfig(path)` reads zu's `agent.yaml` (or `agent.json`), checks every
 * key, resolves every plugin reference (a registry name, or a module path relative to the agent
 * directory such as `./tools/my_tool.ts#MyTool`) and returns an {@link AgentConfig};
 * `assembleRun(config)` turns it into what `runTask` needs.
 *
 * Every problem is a one-line `UserError` naming the file and the key path, for example
 * `Cannot load agent "shop/agent.yaml": plugins.tools[1] "htp_fetch" is not a known tool
 * (known: "html_parse", "http_fetch", "recall")`. Unknown keys are not errors: they are returned
 * in `config.warnings` (the library never prints).
 *
 * @example
 * ```ts ignore
 * import { assembleRun, loadAgentConfig } from "./config.ts";
 * import { runTask } from "./loop.ts";
 * const config = await loadAgentConfig("fixtures/agents/shop-price/agent.yaml");
 * const run = await assembleRun(config);
 * // const result = await runTask(run.spec, run.provider, run.plugins, bus, run.runOptions);
 * ```
 * @module
 */
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { type Budget, DEFAULT_BUDGET, newTaskSpec, type TaskSpec } from "../core/contracts.ts";
import { UserError } from "../core/errors.ts";
import type {
  Detector,
  EventSink,
  InvocationGate,
  ModelProvider,
  RunPlugins,
  Tool,
  Validator,
} from "../core/types.ts";
import {
  ActionPolicyGate,
  knownOpsOf,
  type PolicyRule,
  readOnlyRules,
} from "./action_policy_gate.ts";
import { AllowedDomainsGate, NAVIGATION_TOOLS } from "./allowed_domains_gate.ts";
import type { RunTaskOptions } from "./loop.ts";
import { configError, parseAgentDocument, withApiKey } from "./_config_parse.ts";
import {
  instantiate,
  type PluginKind,
  type ResolvedRef,
  resolveRef,
  shapeProblem,
} from "./_config_plugins.ts";
import { type AgentRegistries, ConfigProblem, type ProviderContext } from "./_config_registries.ts";
import type { AgentConfig, EventSinkConfig, PluginRef, ProviderConfig } from "./_config_types.ts";
import { type EnvFn, realEnv } from "./providers/_post_json.ts";

export type {
  ActionPolicyEntry,
  AgentConfig,
  EncryptionMode,
  EventSinkConfig,
  ObservabilityConfig,
  PluginRef,
  PluginsConfig,
  ProviderConfig,
  ReplayConfig,
  TaskConfig,
} from "./_config_types.ts";
export type { AgentRegistries, ProviderContext } from "./_config_registries.ts";

/** File names looked for, in order, when `loadAgentConfig` is given a directory. */
export const AGENT_FILE_NAMES: readonly string[] = Object.freeze([
  "agent.yaml",
  "agent.yml",
  "agent.json",
]);

/** Options of {@link loadAgentConfig} and {@link assembleRun}. */
export interface AgentConfigOptions extends ProviderContext {
  /** Registries plugin names are resolved against. Default: the built-ins (`agent/builtins.ts`). */
  registries?: AgentRegistries;
}

async function defaultRegistries(): Promise<AgentRegistries> {
  const { builtinRegistries } = await import("./builtins.ts");
  return builtinRegistries();
}

async function findFile(path: string): Promise<string> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError("config_invalid", `Cannot load agent "${path}": the file does not exist`);
    }
    throw new UserError(
      "config_invalid",
      `Cannot load agent "${path}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (!st.isDirectory) return path;
  for (const name of AGENT_FILE_NAMES) {
    const candidate = join(path, name);
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next name
    }
  }
  throw new UserError(
    "config_invalid",
    `Cannot load agent "${path}": the directory holds no ${AGENT_FILE_NAMES.join(", ")}`,
  );
}

function yamlProblem(text: string): { where: string; why: string } | null {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (!err) return null;
  const offset = Math.max(0, Math.min(err.pos?.[0] ?? 0, text.length));
  const before = text.slice(0, offset).split("\n");
  const where = `${before.length}:${(before[before.length - 1] ?? "").length + 1}`;
  const why = (err.message.split("\n")[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, "")
    .trim();
  return { where, why };
}

/** Parses agent file text (YAML, or JSON when `file` ends in `.json`). */
export function parseAgentText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === ".json") {
    try {
      return JSON.parse(text);
    } catch (e) {
      const p = yamlProblem(text);
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw configError(file, "", `is not valid JSON${p ? ` at ${p.where}` : ""}: ${why}`);
    }
  }
  const p = yamlProblem(text);
  if (p) throw configError(file, "", `is not valid YAML at ${p.where}: ${p.why}`);
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * Reads and checks an agent file (or a directory holding `agent.yaml`, `agent.yml` or
 * `agent.json`). Resolves every plugin reference and builds each plugin once to check it.
 * Throws a one-line `UserError` naming the file and key on any problem.
 */
export async function loadAgentConfig(
  path: string,
  options: AgentConfigOptions = {},
): Promise<AgentConfig> {
  const file = await findFile(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw configError(file, "", `cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const doc = parseAgentText(text, file);
  const agentDir = resolve(dirname(file));
  const config = parseAgentDocument(doc, file, agentDir);
  // Build once to surface every problem now rather than mid-run.
  await buildAll(config, options.registries ?? await defaultRegistries(), options);
  return config;
}

/** Options the loop takes that come from the agent file (`runTask`'s options). */
export type AgentRunOptions = Pick<
  RunTaskOptions,
  | "providers"
  | "containment"
  | "maxObservationChars"
  | "observationStrategy"
  | "replayBudget"
  | "finishProvider"
  | "replayJitterMedianMs"
>;

/** Everything a run needs, built from an {@link AgentConfig}. */
export interface AssembledRun {
  /** The task. */
  spec: TaskSpec;
  /** The global provider. */
  provider: ModelProvider;
  /** Per-tier providers. */
  providers: Map<number, ModelProvider>;
  /** Tools (tier stamped), detectors, validators, gates (`allowed_domains`, `action_policies`). */
  plugins: RunPlugins;
  /** Options for `runTask`. */
  runOptions: AgentRunOptions;
  /** Cap of the whole conversation (not enforced by the loop yet), or null. */
  maxContextChars: number | null;
  /** The canonical sink's config, or null for in memory. */
  sink: EventSinkConfig | null;
  /** Secondary trace sinks. */
  traceSinks: EventSinkConfig[];
  /** Host patterns navigation is limited to, or null. */
  allowedDomains: string[] | null;
  /** Backend name for tools that take one, or null. */
  backend: string | null;
  /** The agent directory. */
  agentDir: string;
  /** The config this was built from. */
  config: AgentConfig;
}

/** Options of {@link assembleRun}. */
export interface AssembleOptions extends AgentConfigOptions {
  /** Overrides of the task block (e.g. a query from the command line). */
  task?: Partial<Omit<TaskSpec, "budget">> & { budget?: Partial<Budget> };
}

/**
 * Builds fresh plugin instances, providers, gates and the task from `config`. Throws a
 * one-line `UserError` when the config has no task (and none is given) or a plugin cannot be
 * built.
 */
export async function assembleRun(
  config: AgentConfig,
  options: AssembleOptions = {},
): Promise<AssembledRun> {
  const built = await buildAll(config, options.registries ?? await defaultRegistries(), options);
  const t = config.task;
  const o = options.task ?? {};
  const query = o.query ?? t?.query;
  if (query === undefined) {
    throw configError(config.path, "task", "is required to run (add a task block with a query)");
  }
  const budget: Budget = o.budget
    ? { ...DEFAULT_BUDGET, ...(t?.budget ?? config.budget), ...o.budget }
    : t?.budget
    ? { ...DEFAULT_BUDGET, ...t.budget }
    : { ...config.budget };
  const taskId = o.task_id ?? t?.task_id ?? undefined;
  const spec = newTaskSpec({
    query,
    target: o.target !== undefined ? o.target : t?.target ?? null,
    output_schema: o.output_schema ?? t?.output_schema ?? {},
    max_tier: o.max_tier ?? t?.max_tier ?? 2,
    tainted: o.tainted ?? t?.tainted ?? false,
    mode: o.mode ?? t?.mode ?? "execute",
    quarantined: o.quarantined ?? t?.quarantined ?? false,
    budget,
    ...(taskId !== undefined ? { task_id: taskId } : {}),
  });
  const runOptions: AgentRunOptions = {
    providers: built.providers,
    containment: config.containment,
    maxObservationChars: config.max_observation_chars,
    observationStrategy: config.observation_strategy,
    replayBudget: config.replay.budget,
    finishProvider: built.finishProvider,
    replayJitterMedianMs: config.replay.jitter_median_ms,
  };
  return {
    spec,
    provider: built.provider,
    providers: built.providers,
    plugins: built.plugins,
    runOptions,
    maxContextChars: config.max_context_chars,
    sink: config.event_sink,
    traceSinks: config.trace_sinks,
    allowedDomains: config.allowed_domains,
    backend: config.backend,
    agentDir: config.agentDir,
    config,
  };
}

interface Built {
  provider: ModelProvider;
  providers: Map<number, ModelProvider>;
  finishProvider: ModelProvider | null;
  plugins: RunPlugins;
}

async function buildProvider(
  config: AgentConfig,
  pc: ProviderConfig,
  key: string,
  registries: AgentRegistries,
  context: ProviderContext,
): Promise<ModelProvider> {
  const site = { file: config.path, key: `${key}.name`, agentDir: config.agentDir };
  const resolved = await resolveRef(pc.name, "provider", registries.providers, site);
  let provider: unknown;
  try {
    if (resolved.source === "builtin") {
      provider = registries.providers.get(resolved.name)(pc, context);
    } else {
      const { name: _n, options, ...rest } = pc;
      const key = pc.api_key === null ? {} : { api_key: pc.api_key };
      provider = instantiate(resolved.value, { ...rest, ...key, ...options });
    }
  } catch (e) {
    if (e instanceof ConfigProblem) throw configError(config.path, `${key}.${e.subKey}`, e.message);
    if (e instanceof UserError) throw e;
    throw configError(config.path, key, `cannot be built: ${errorText(e)}`);
  }
  const problem = shapeProblem(provider, "provider");
  if (problem) throw configError(config.path, key, `"${pc.name}" ${problem}`);
  return provider as ModelProvider;
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split("\n")[0] ?? msg).trim();
}

async function buildPlugin(
  config: AgentConfig,
  ref: PluginRef,
  kind: Exclude<PluginKind, "provider">,
  registry: AgentRegistries["tools" | "detectors" | "validators"],
  extraArgs: Record<string, unknown>,
): Promise<unknown> {
  const site = { file: config.path, key: ref.key, agentDir: config.agentDir };
  const resolved: ResolvedRef = await resolveRef(ref.ref, kind, registry, site);
  let value: unknown;
  try {
    if (resolved.source === "builtin") {
      const make = registry.get(resolved.name) as (args?: Record<string, unknown>) => unknown;
      value = make({ ...extraArgs, ...ref.args });
    } else {
      value = instantiate(resolved.value, { ...ref.args });
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw configError(config.path, ref.key, `"${ref.ref}" cannot be built: ${errorText(e)}`);
  }
  const problem = shapeProblem(value, kind);
  if (problem) throw configError(config.path, ref.key, `"${ref.ref}" ${problem}`);
  return value;
}

function hasDomainArg(args: Record<string, unknown>): boolean {
  return "allowed_domains" in args || "allowedDomains" in args;
}

async function buildAll(
  config: AgentConfig,
  registries: AgentRegistries,
  context: ProviderContext & { env?: EnvFn },
): Promise<Built> {
  const provider = await buildProvider(config, config.provider, "provider", registries, context);
  const providers = new Map<number, ModelProvider>();
  for (const [tier, pc] of config.providers) {
    providers.set(
      tier,
      await buildProvider(config, pc, `providers.${tier}`, registries, context),
    );
  }
  const finishProvider = config.replay.finish_model === null ? null : await buildProvider(
    config,
    withApiKey({ ...config.provider, model: config.replay.finish_model }, config.provider.api_key),
    "replay.finish_model",
    registries,
    context,
  );

  // Tools: plugins.tools first, then tier refs not already listed; a tier ref stamps the tier.
  const tierOf = new Map<string, number>();
  const tierRefs: PluginRef[] = [];
  for (const [tier, refs] of config.tiers) {
    for (const ref of refs) {
      if (!tierOf.has(ref.ref)) tierRefs.push(ref);
      tierOf.set(ref.ref, tier);
    }
  }
  const listed = new Set(config.plugins.tools.map((r) => r.ref));
  const toolRefs = [...config.plugins.tools, ...tierRefs.filter((r) => !listed.has(r.ref))];
  const tools = new Map<string, Tool>();
  for (const ref of toolRefs) {
    const extra: Record<string, unknown> = {};
    if (
      config.allowed_domains !== null && NAVIGATION_TOOLS.includes(ref.ref) &&
      !hasDomainArg(ref.args)
    ) {
      extra.allowedDomains = [...config.allowed_domains];
    }
    const tool = await buildPlugin(config, ref, "tool", registries.tools, extra) as Tool;
    const tier = tierOf.get(ref.ref);
    if (tier !== undefined) {
      try {
        tool.tier = tier;
      } catch (e) {
        throw configError(
          config.path,
          ref.key,
          `"${ref.ref}" cannot take tier ${tier}: ${errorText(e)}`,
        );
      }
    }
    if (tools.has(tool.name)) {
      throw configError(config.path, ref.key, `tool "${tool.name}" is listed twice`);
    }
    tools.set(tool.name, tool);
  }

  const detectors = new Map<string, Detector>();
  for (const ref of config.plugins.detectors) {
    const d = await buildPlugin(config, ref, "detector", registries.detectors, {}) as Detector;
    if (detectors.has(d.name)) {
      throw configError(config.path, ref.key, `detector "${d.name}" is listed twice`);
    }
    detectors.set(d.name, d);
  }
  const validators = new Map<string, Validator>();
  for (const ref of config.plugins.validators) {
    const v = await buildPlugin(config, ref, "validator", registries.validators, {}) as Validator;
    if (validators.has(v.name)) {
      throw configError(config.path, ref.key, `validator "${v.name}" is listed twice`);
    }
    validators.set(v.name, v);
  }

  const gates = new Map<string, InvocationGate>();
  if (config.allowed_domains !== null) {
    const gate = new AllowedDomainsGate(config.allowed_domains);
    gates.set(gate.name, gate);
  }
  const rules = compilePolicies(config, tools);
  if (rules.length > 0) {
    const gate = new ActionPolicyGate(rules);
    gates.set(gate.name, gate);
  }
  return { provider, providers, finishProvider, plugins: { tools, detectors, validators, gates } };
}

function compilePolicies(config: AgentConfig, tools: ReadonlyMap<string, Tool>): PolicyRule[] {
  const rules: PolicyRule[] = [];
  config.action_policies.forEach((entry, i) => {
    const key = `action_policies[${i}]`;
    if (entry === "read-only") {
      rules.push(...readOnlyRules(tools));
      return;
    }
    const tool = tools.get(entry.tool);
    if (tool === undefined) {
      throw configError(
        config.path,
        `${key}.tool`,
        `"${entry.tool}" is not an active tool (active: ${
          [...tools.keys()].sort().map((n) => `"${n}"`).join(", ") || "none"
        })`,
      );
    }
    if (entry.op !== null) {
      const ops = knownOpsOf(tool);
      if (ops === null) {
        throw configError(
          config.path,
          `${key}.op`,
          `cannot apply: tool "${entry.tool}" has no "op" parameter`,
        );
      }
      if (!ops.includes(entry.op)) {
        throw configError(
          config.path,
          `${key}.op`,
          `"${entry.op}" is not an op of tool "${entry.tool}" (known: ${
            ops.map((o) => `"${o}"`).join(", ")
          })`,
        );
      }
    }
    rules.push({ tool: entry.tool, op: entry.op, match: entry.match, effect: entry.effect });
  });
  return rules;
}

/** Opens an event sink when called. */
export type EventSinkFactory = () => Promise<EventSink>;

/** Options of {@link eventSinkFromConfig}. */
export interface EventSinkFromConfigOptions {
  /** Environment reader for encryption keys. Default: the real environment. */
  env?: EnvFn;
}

/** Default file of each driver, relative to the agent directory. */
export const DEFAULT_SINK_PATHS: Readonly<Record<string, string>> = Object.freeze({
  sqlite: ".zu/events.db",
  jsonl: ".zu/events.jsonl",
});

/** Sink options an agent file may set, zu-style names to ours. */
export const SINK_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  busy_timeout_ms: "busyTimeoutMs",
  max_batch: "maxBatch",
  filter_fields: "filterFields",
  durable: "durable",
  sign_key_env: "signKey",
});

async function sinkOptions(cfg: EventSinkConfig, env: EnvFn): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg.options)) {
    const name = SINK_OPTION_NAMES[k];
    if (name === undefined) continue;
    if (k === "sign_key_env") {
      const raw = typeof v === "string" ? env(v) : undefined;
      if (raw === undefined || raw === "") {
        throw new UserError(
          "config_invalid",
          `Cannot open event sink "${cfg.driver}": signing key variable ${
            JSON.stringify(v)
          } is not set`,
        );
      }
      const { decodeKey } = await import("../sinks/encryption/decode_key.ts");
      out[name] = decodeKey(raw, String(v));
    } else {
      out[name] = v;
    }
  }
  return out;
}

/**
 * A factory that opens the sink `cfg` describes; the sink module and the codec are imported
 * only when it is called. Paths are relative to `agentDir`; parent directories are created.
 */
export function eventSinkFromConfig(
  cfg: EventSinkConfig,
  agentDir: string,
  options: EventSinkFromConfigOptions = {},
): EventSinkFactory {
  return async () => {
    const env = options.env ?? realEnv;
    const extra = await sinkOptions(cfg, env);
    let codec: unknown = undefined;
    if (cfg.encryption !== "none") {
      const { createCodec } = await import("../sinks/encryption/create_codec.ts");
      try {
        codec = createCodec(cfg.encryption, { env });
      } catch (e) {
        throw new UserError(
          "config_invalid",
          `Cannot open event sink "${cfg.driver}" with encryption "${cfg.encryption}": ${
            errorText(e)
          }`,
        );
      }
    }
    const withCodec = codec === undefined ? extra : { ...extra, codec };
    if (cfg.driver === "memory") {
      const { MemorySink } = await import("../sinks/memory/mod.ts");
      return new MemorySink(extra);
    }
    const rel = cfg.path ?? DEFAULT_SINK_PATHS[cfg.driver];
    if (rel === undefined) {
      throw new UserError(
        "config_invalid",
        `Cannot open event sink "${cfg.driver}": unknown driver`,
      );
    }
    const path = rel === ":memory:" ? rel : isAbsolute(rel) ? rel : resolve(agentDir, rel);
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    if (cfg.driver === "sqlite") {
      const { SqliteSink } = await import("../sinks/sqlite/mod.ts");
      return new SqliteSink(path, withCodec);
    }
    if (cfg.driver === "jsonl") {
      const { JsonlSink } = await import("../sinks/jsonl/mod.ts");
      return new JsonlSink(path, extra);
    }
    throw new UserError("config_invalid", `Cannot open event sink "${cfg.driver}": unknown driver`);
  };
}
