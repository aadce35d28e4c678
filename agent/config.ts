/**
 * Agent files: `loadAgentConfig(path)` reads zu's `agent.yaml` (or `agent.json`), checks every
 * key, resolves every plugin reference (a registry name, or a module path relative to the agent
 * directory such as `./tools/my_tool.ts#MyTool`) and returns an {@link AgentConfig};
 * `assembleRun(config)` turns it into what `runTask` needs.
 *
 * Every problem is a one-line `UserError` naming the file and the key path, for example
 * `Cannot load agent "shop/agent.yaml": plugins.tools[1] "htp_fetch" is not a known tool
 * (known: "html_parse", "http_fetch", "recall")`. Unknown keys are not errors: they are returned
 * in `config.warnings` (the library never prints) — except inside a sink block, where an unknown
 * key is refused. Sinks are opened from `config.event_sink` / `config.trace_sinks` with
 * `openSinks` from `sinks/` (the one sink opener).
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
import { dirname, extname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { type Budget, DEFAULT_BUDGET, newTaskSpec, type TaskSpec } from "../core/contracts.ts";
import { UserError } from "../core/errors.ts";
import type { ModelProvider, RunPlugins, SinkDriverCatalog } from "../core/types.ts";
import type { RunTaskOptions } from "./loop.ts";
import { configError, parseAgentDocument } from "./_config_parse.ts";
import { buildAll } from "./_config_build.ts";
import type { AgentRegistries, ProviderContext } from "./_config_registries.ts";
import type { AgentConfig, EventSinkConfig } from "./_config_types.ts";

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
export { TOP_KEYS as AGENT_YAML_KEYS } from "./_config_parse.ts";

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
  /**
   * The sink driver registry (`sinkRegistry` from `sinks/`), asked for driver names and which
   * sink keys take effect, so a bad `event_sink` / `trace_sinks` key fails here. Without it,
   * only the blocks' shape is checked now and the rest when a sink is opened (`openSinks`).
   */
  sinkDrivers?: SinkDriverCatalog;
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
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: "error" });
  const err = doc.errors[0];
  if (!err) return null;
  const offset = Math.max(0, Math.min(err.pos?.[0] ?? 0, text.length));
  const before = text.slice(0, offset).split("\n");
  const where = `${before.length}:${(before[before.length - 1] ?? "").length + 1}`;
  const why = (err.message.split("\n")[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, "")
    .trim();
  return { where, why };
}

/** The most YAML aliases an agent file may use: more is refused as a possible alias bomb. */
export const MAX_YAML_ALIASES = 100;

function firstLineOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split("\n")[0] ?? msg).trim();
}

/**
 * Parses agent file text (YAML, or JSON when `file` ends in `.json`). Throws a one-line
 * `UserError` on malformed text, on more than {@link MAX_YAML_ALIASES} alias expansions (a
 * "billion laughs" document is refused before it grows) and on nesting too deep to read.
 */
export function parseAgentText(text: string, file: string): unknown {
  try {
    return parseText(text, file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw configError(
        file,
        "",
        `expands more than ${MAX_YAML_ALIASES} YAML aliases (refused as a possible alias bomb)`,
      );
    }
    if (e instanceof RangeError) {
      throw configError(file, "", `is nested too deeply to read (${firstLineOf(e)})`);
    }
    throw configError(file, "", `cannot be parsed: ${firstLineOf(e)}`);
  }
}

function parseText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === ".json") {
    try {
      return JSON.parse(text);
    } catch (e) {
      let where = "";
      try {
        const p = yamlProblem(text);
        if (p) where = ` at ${p.where}`;
      } catch {
        // no position then
      }
      throw configError(file, "", `is not valid JSON${where}: ${firstLineOf(e)}`);
    }
  }
  const p = yamlProblem(text);
  if (p) throw configError(file, "", `is not valid YAML at ${p.where}: ${p.why}`);
  // logLevel "error": the library would print its warnings (a mapping used as a key) itself.
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: "error" });
  return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
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
  const config = parseAgentDocument(
    doc,
    file,
    agentDir,
    options.sinkDrivers ? { sinkDrivers: options.sinkDrivers } : {},
  );
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
  | "maxContextChars"
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
  /** Cap of the whole conversation, or null (also in `runOptions`). */
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
    maxContextChars: config.max_context_chars,
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
