/**
 * Checks a parsed agent document against zu's `RunConfig` keys and builds an
 * {@link AgentConfig}. Every failure is a one-line `UserError` naming the file and the key path;
 * unknown keys become warnings.
 *
 * Sink blocks are the exception: `agent/` may import only `core/`, so the parser knows no driver
 * name. It checks a block's shape and asks the {@link SinkDriverCatalog} port (implemented by the
 * sink driver registry in `sinks/`, injected by the composition root) for everything else;
 * unknown sink keys are refused.
 *
 * @module
 */
import { type Budget, DEFAULT_BUDGET } from "../core/contracts.ts";
import { configError, isMapping, Reader, show, typeName } from "./_config_reader.ts";
import { parseRepos } from "./_config_repos.ts";
import { POLICY_EFFECTS, type PolicyEffect } from "./action_policy_gate.ts";
import { checkHostPattern } from "./allowed_domains_gate.ts";
import { parseLocalOrigin } from "../core/local_origin.ts";
import { parseSandboxPrices } from "../core/sandbox_prices.ts";
import { OPERATOR_ONLY_REASON, operatorOnlyKeyIn } from "../core/operator_only_keys.ts";
import type { SinkDriverCatalog, SinkRole } from "../core/types.ts";
import type {
  ActionPolicyEntry,
  AgentConfig,
  EventSinkConfig,
  ObservabilityConfig,
  PluginRef,
  ProviderConfig,
  ReplayConfig,
  TaskConfig,
} from "./_config_types.ts";

export { configError, isMapping, show, thrownText } from "./_config_reader.ts";

/** The keys of a sink block (zu's `EventSinkConfig`); which drivers and options exist is the catalog's. */
const SINK_KEYS = ["driver", "path", "encryption", "options"];
/** Every top-level agent.yaml key (zu's, plus this project's additions). */
export const TOP_KEYS: readonly string[] = [
  "provider",
  "providers",
  "tiers",
  "plugins",
  "backend",
  "sandbox_prices",
  "event_sink",
  "trace_sinks",
  "observability",
  "budget",
  "replay",
  "max_observation_chars",
  "observation_strategy",
  "max_context_chars",
  "containment",
  "allowed_domains",
  "local_origins",
  "action_policies",
  "repos",
  "task",
];
const PROVIDER_KEYS = [
  "name",
  "model",
  "api_key_env",
  "base_url_env",
  "api_key",
  "base_url",
  "max_tokens",
  "script",
  "options",
];
const BUDGET_KEYS = Object.keys(DEFAULT_BUDGET) as (keyof Budget)[];
const TASK_KEYS = [
  "query",
  "target",
  "output_schema",
  "max_tier",
  "budget",
  "tainted",
  "mode",
  "quarantined",
  "task_id",
];

function parseBudget(r: Reader, value: unknown, key: string): Partial<Budget> {
  const obj = r.mapping(value, key);
  r.unknownKeys(obj, BUDGET_KEYS, key);
  const out: Partial<Budget> = {};
  for (const k of BUDGET_KEYS) {
    const v = obj[k];
    if (v === undefined || v === null) continue;
    const path = r.join(key, k);
    if (k === "wall_time_s") {
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
        r.fail(path, `must be a positive number, got ${typeName(v)}`);
      }
      out[k] = v;
    } else {
      out[k] = r.int(v, path, 0);
    }
  }
  return out;
}

function parseProvider(r: Reader, value: unknown, key: string): ProviderConfig {
  const obj = r.mapping(value, key);
  r.unknownKeys(obj, PROVIDER_KEYS, key);
  const name = r.nonEmptyString(r.required(obj, "name", key), r.join(key, "name"));
  let script: Record<string, unknown>[] | null = null;
  if (obj.script !== undefined && obj.script !== null) {
    const list = r.list(obj.script, r.join(key, "script"));
    script = list.map((m, i) => r.mapping(m, r.join(r.join(key, "script"), i)));
  }
  const options = obj.options === undefined || obj.options === null
    ? {}
    : r.mapping(obj.options, r.join(key, "options"));
  const apiKey = r.optString(obj, "api_key", key);
  if (apiKey !== null) {
    r.warnings.push(
      `Agent "${r.file}": key "${
        r.join(key, "api_key")
      }" puts a secret in the file (prefer "api_key_env")`,
    );
  }
  return withApiKey({
    name,
    model: r.optString(obj, "model", key),
    api_key_env: r.optString(obj, "api_key_env", key),
    base_url_env: r.optString(obj, "base_url_env", key),
    base_url: r.optString(obj, "base_url", key),
    max_tokens: r.optInt(obj, "max_tokens", key, 1),
    script,
    options: { ...options },
  }, apiKey);
}

/**
 * Adds `api_key` to a provider block as a non-enumerable property, so printing or serialising
 * a config (`JSON.stringify`, `Deno.inspect`, spreading) never shows the key.
 */
export function withApiKey(
  config: Omit<ProviderConfig, "api_key">,
  apiKey: string | null,
): ProviderConfig {
  const out = { ...config } as ProviderConfig;
  Object.defineProperty(out, "api_key", {
    value: apiKey,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return out;
}

function parsePluginRef(r: Reader, value: unknown, key: string): PluginRef {
  if (typeof value === "string") {
    if (value.trim() === "") r.fail(key, "must not be empty");
    return { ref: value.trim(), args: {}, key };
  }
  if (isMapping(value)) {
    r.unknownKeys(value, ["ref", "args"], key);
    const ref = r.nonEmptyString(r.required(value, "ref", key), r.join(key, "ref")).trim();
    const args = value.args === undefined || value.args === null
      ? {}
      : r.mapping(value.args, r.join(key, "args"));
    return { ref, args: { ...args }, key };
  }
  return r.fail(key, `must be a plugin name, a module path or {ref, args}, got ${typeName(value)}`);
}

function parseRefList(r: Reader, value: unknown, key: string): PluginRef[] {
  return r.list(value, key).map((v, i) => parsePluginRef(r, v, r.join(key, i)));
}

/** True when `k` is an option of the block's driver (`url_env` of `postgres`). */
function takesAsOption(
  obj: Record<string, unknown>,
  k: string,
  role: SinkRole,
  catalog: SinkDriverCatalog | undefined,
): boolean {
  if (!catalog || typeof obj.driver !== "string") return false;
  const probe = { driver: obj.driver, path: null, encryption: "none", options: { [k]: obj[k] } };
  const p = catalog.check(probe, role);
  return !(
    p?.key === "driver" || (p?.key === `options.${k}` && p.message.startsWith("is not an option"))
  );
}

/**
 * A sink block: its shape is checked here, every driver-specific key by `catalog` (the sink
 * registry, handed in by the composition root). Unknown keys are refused, not warned about: a
 * sink key that silently does nothing (an unsigned "signed" log) is worse than an error.
 */
function parseSink(
  r: Reader,
  value: unknown,
  key: string,
  role: SinkRole,
  catalog: SinkDriverCatalog | undefined,
): EventSinkConfig {
  const obj = r.mapping(value, key);
  // A key the block's driver takes as an option may be written beside `driver` too
  // (`{driver: postgres, url_env: ZU_PG_URL}`): it is read as `options.<key>`.
  const lifted: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (!SINK_KEYS.includes(k)) {
      if (takesAsOption(obj, k, role, catalog)) {
        lifted[k] = obj[k];
        continue;
      }
      r.fail(r.join(key, k), `is not a sink key (sink keys: ${SINK_KEYS.map(show).join(", ")})`);
    }
  }
  const driver = r.nonEmptyString(r.required(obj, "driver", key), r.join(key, "driver"));
  const encryption = obj.encryption === undefined || obj.encryption === null
    ? "none"
    : r.nonEmptyString(obj.encryption, r.join(key, "encryption"));
  const options = obj.options === undefined || obj.options === null
    ? {}
    : r.mapping(obj.options, r.join(key, "options"));
  for (const k of Object.keys(lifted)) {
    if (k in options) r.fail(r.join(key, k), `is given twice: beside driver and under options`);
  }
  const block = {
    driver,
    path: r.optString(obj, "path", key),
    encryption,
    options: { ...options, ...lifted },
  };
  const problem = catalog?.check(block, role) ?? null;
  if (problem !== null) r.fail(r.join(key, problem.key), problem.message);
  return block;
}

function parsePolicies(r: Reader, value: unknown, key: string): ActionPolicyEntry[] {
  if (value === "read-only") return ["read-only"];
  const list = r.list(value, key);
  return list.map((entry, i): ActionPolicyEntry => {
    const k = r.join(key, i);
    if (typeof entry === "string") {
      if (entry === "read-only") return "read-only";
      r.fail(k, `${show(entry)} is not a known preset (the only preset is "read-only")`);
    }
    const obj = r.mapping(entry, k);
    if (obj.preset === "read-only") return "read-only";
    r.unknownKeys(obj, ["tool", "op", "match", "effect", "preset"], k);
    const tool = r.nonEmptyString(r.required(obj, "tool", k), r.join(k, "tool"));
    const effect = r.required(obj, "effect", k);
    if (typeof effect !== "string" || !(POLICY_EFFECTS as readonly string[]).includes(effect)) {
      r.fail(
        r.join(k, "effect"),
        `must be one of ${POLICY_EFFECTS.map((e) => `"${e}"`).join(", ")}, got ${show(effect)}`,
      );
    }
    return {
      tool,
      op: r.optString(obj, "op", k),
      match: r.optString(obj, "match", k),
      effect: effect as PolicyEffect,
    };
  });
}

function parseTask(r: Reader, value: unknown, key: string): TaskConfig {
  const obj = r.mapping(value, key);
  r.unknownKeys(obj, TASK_KEYS, key);
  const query = r.nonEmptyString(r.required(obj, "query", key), r.join(key, "query"));
  const schema = obj.output_schema === undefined || obj.output_schema === null
    ? {}
    : r.mapping(obj.output_schema, r.join(key, "output_schema"));
  return {
    query,
    target: r.optString(obj, "target", key),
    output_schema: schema,
    max_tier: r.optInt(obj, "max_tier", key, 0) ?? 2,
    budget: obj.budget === undefined || obj.budget === null
      ? null
      : parseBudget(r, obj.budget, r.join(key, "budget")),
    tainted: r.bool(obj, "tainted", key, false),
    mode: r.choice(obj, "mode", key, ["execute", "explore"] as const, "execute"),
    quarantined: r.bool(obj, "quarantined", key, false),
    task_id: r.optString(obj, "task_id", key),
  };
}

function parseReplay(r: Reader, value: unknown, key: string): ReplayConfig {
  const obj = r.mapping(value, key);
  r.unknownKeys(obj, ["budget", "finish_model", "jitter_median_ms", "jitter_max_ms"], key);
  const jitter = r.optInt(obj, "jitter_median_ms", key, 0) ??
    r.optInt(obj, "jitter_max_ms", key, 0) ?? 400;
  return {
    budget: obj.budget === undefined || obj.budget === null
      ? null
      : { ...DEFAULT_BUDGET, ...parseBudget(r, obj.budget, r.join(key, "budget")) },
    finish_model: r.optString(obj, "finish_model", key),
    jitter_median_ms: jitter,
  };
}

function parseObservability(r: Reader, value: unknown, key: string): ObservabilityConfig {
  const obj = r.mapping(value, key);
  r.unknownKeys(obj, ["review_queue", "scope"], key);
  return {
    review_queue: "review_queue" in obj ? r.optString(obj, "review_queue", key) : "zu_review.jsonl",
    scope: r.choice(obj, "scope", key, ["render", "full"] as const, "render"),
  };
}

function tierMap<T>(
  r: Reader,
  value: unknown,
  key: string,
  each: (v: unknown, k: string) => T,
): Map<number, T> {
  const out = new Map<number, T>();
  if (value === undefined || value === null) return out;
  const obj = r.mapping(value, key);
  for (const [raw, v] of Object.entries(obj)) {
    out.set(r.tierKey(raw, key), each(v, r.join(key, raw)));
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

/** Options of {@link parseAgentDocument}. */
export interface ParseAgentOptions {
  /** Asked about sink drivers and their keys; without it only the shape of sink blocks is checked. */
  sinkDrivers?: SinkDriverCatalog;
}

/** Checks a parsed document (`file` is only used in messages). */
export function parseAgentDocument(
  doc: unknown,
  file: string,
  agentDir: string,
  options: ParseAgentOptions = {},
): AgentConfig {
  const catalog = options.sinkDrivers;
  const r = new Reader(file);
  if (!isMapping(doc)) {
    throw configError(
      file,
      "",
      `the file must hold a mapping at the top level, got ${typeName(doc)}`,
    );
  }
  const top: Record<string, unknown> = doc;
  const operatorKey = operatorOnlyKeyIn(top);
  if (operatorKey !== null) r.fail(operatorKey, OPERATOR_ONLY_REASON);
  r.unknownKeys(top, TOP_KEYS, "");
  const provider = parseProvider(r, r.required(top, "provider", ""), "provider");
  const providers = tierMap(r, top.providers, "providers", (v, k) => parseProvider(r, v, k));
  const tiers = tierMap(r, top.tiers, "tiers", (v, k) => parseRefList(r, v, k));

  const plugins = top.plugins === undefined || top.plugins === null
    ? {}
    : r.mapping(top.plugins, "plugins");
  r.unknownKeys(plugins, ["tools", "detectors", "validators"], "plugins");
  const list = (name: string, dflt: string[]) =>
    plugins[name] === undefined || plugins[name] === null
      ? dflt.map((ref, i) => ({ ref, args: {}, key: `plugins.${name}[${i}]` }))
      : parseRefList(r, plugins[name], `plugins.${name}`);

  let allowed: string[] | null = null;
  if (top.allowed_domains !== undefined && top.allowed_domains !== null) {
    const raw = r.list(top.allowed_domains, "allowed_domains");
    allowed = raw.map((p, i) => {
      const checked = checkHostPattern(p);
      return "error" in checked ? r.fail(`allowed_domains[${i}]`, checked.error) : checked.pattern;
    });
    if (allowed.length === 0) allowed = null;
  }

  const localOrigins: string[] = [];
  if (top.local_origins !== undefined && top.local_origins !== null) {
    r.list(top.local_origins, "local_origins").forEach((o, i) => {
      try {
        if (typeof o !== "string") throw new TypeError(`must be a string, got ${typeName(o)}`);
        const origin = parseLocalOrigin(o);
        if (!localOrigins.includes(origin)) localOrigins.push(origin);
      } catch (e) {
        r.fail(
          `local_origins[${i}]`,
          (e as Error).message.replace(/^Cannot use local origin /, ""),
        );
      }
    });
  }

  const budget = top.budget === undefined || top.budget === null
    ? { ...DEFAULT_BUDGET }
    : { ...DEFAULT_BUDGET, ...parseBudget(r, top.budget, "budget") };

  return {
    path: file,
    agentDir,
    provider,
    providers,
    tiers,
    plugins: {
      tools: list("tools", []),
      detectors: list("detectors", []),
      validators: list("validators", ["schema", "grounding"]),
    },
    backend: r.optString(top, "backend", ""),
    sandbox_prices: top.sandbox_prices === undefined || top.sandbox_prices === null
      ? null
      : parseSandboxPrices(top.sandbox_prices, `"${file}" sandbox_prices`),
    event_sink: top.event_sink === undefined || top.event_sink === null
      ? null
      : parseSink(r, top.event_sink, "event_sink", "event_sink", catalog),
    trace_sinks: top.trace_sinks === undefined || top.trace_sinks === null
      ? []
      : r.list(top.trace_sinks, "trace_sinks").map((s, i) =>
        parseSink(r, s, `trace_sinks[${i}]`, "trace_sink", catalog)
      ),
    observability: top.observability === undefined || top.observability === null
      ? { review_queue: "zu_review.jsonl", scope: "render" }
      : parseObservability(r, top.observability, "observability"),
    budget,
    replay: top.replay === undefined || top.replay === null
      ? { budget: null, finish_model: null, jitter_median_ms: 400 }
      : parseReplay(r, top.replay, "replay"),
    max_observation_chars: r.optInt(top, "max_observation_chars", "", 1),
    observation_strategy: r.choice(
      top,
      "observation_strategy",
      "",
      ["truncate", "extract"] as const,
      "truncate",
    ),
    max_context_chars: r.optInt(top, "max_context_chars", "", 1),
    containment: r.choice(top, "containment", "", ["audit", "required"] as const, "audit"),
    allowed_domains: allowed,
    local_origins: localOrigins,
    action_policies: top.action_policies === undefined || top.action_policies === null
      ? []
      : parsePolicies(r, top.action_policies, "action_policies"),
    repos: parseRepos(r, top.repos),
    task: top.task === undefined || top.task === null ? null : parseTask(r, top.task, "task"),
    warnings: r.warnings,
  };
}
