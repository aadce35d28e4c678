/**
 * The registry types an agent file is resolved against, and the built-in provider builders
 * (`scripted`, `openai-compatible`, `anthropic`) that turn a `provider:` block into a provider.
 *
 * @module
 */
import type { Detector, ModelProvider, ProviderEndpoint, Tool, Validator } from "../core/types.ts";
import type { Registry } from "../core/registry.ts";
import type { ProviderConfig } from "./_config_types.ts";
import {
  ANTHROPIC_ENDPOINT,
  type AnthropicOptions,
  AnthropicProvider,
} from "./providers/anthropic.ts";
import {
  OPENAI_ENDPOINT,
  type OpenAICompatibleOptions,
  OpenAICompatibleProvider,
} from "./providers/openai_compatible.ts";
import { ScriptedProvider } from "./providers/scripted.ts";
import type { EnvReader, Sleep } from "../core/types.ts";

/** Builds a tool from its `args`. */
export type ToolFactory = (args?: Record<string, unknown>) => Tool;
/** Builds a detector from its `args`. */
export type DetectorFactory = (args?: Record<string, unknown>) => Detector;
/** Builds a validator from its `args`. */
export type ValidatorFactory = (args?: Record<string, unknown>) => Validator;

/** Seams handed to provider builders. */
export interface ProviderContext {
  /** Environment reader (keys and base URLs). Default: the real environment. */
  env?: EnvReader;
  /** Receives provider warnings. Default: ignored. */
  onWarning?: (message: string) => void;
  /** Fetch used by live providers. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Sleep used for retry backoff. Default: a real timer. */
  sleep?: Sleep;
}

/**
 * Builds a provider from a `provider:` block. Throws {@link ConfigProblem} for a bad key. A
 * builder declares where its provider talks to by default (`endpoint`): the permission jail
 * grants that host and key variable, and grants no default host to a builder that declares none.
 */
export interface ProviderBuilder {
  /** Builds the provider. */
  (config: ProviderConfig, context: ProviderContext): ModelProvider;
  /** Default base URL, key variable and base-URL variable. Default: none declared. */
  readonly endpoint?: ProviderEndpoint;
}

/**
 * Declares a provider builder with its default endpoint.
 *
 * @example
 * ```ts
 * import { providerBuilder } from "./_config_registries.ts";
 * import { ScriptedProvider } from "./providers/scripted.ts";
 * const build = providerBuilder(() => ScriptedProvider.fromMoves([]), {
 *   baseUrl: "https://llm.internal.example/v1",
 *   apiKeyEnv: "INTERNAL_LLM_KEY",
 *   baseUrlEnv: null,
 * });
 * console.assert(build.endpoint?.apiKeyEnv === "INTERNAL_LLM_KEY");
 * ```
 */
export function providerBuilder(
  build: (config: ProviderConfig, context: ProviderContext) => ModelProvider,
  endpoint: ProviderEndpoint,
): ProviderBuilder {
  return Object.assign(
    (config: ProviderConfig, context: ProviderContext) => build(config, context),
    { endpoint },
  );
}

/** The endpoint of a provider that makes no network call (`scripted`). */
export const NO_ENDPOINT: ProviderEndpoint = { baseUrl: null, apiKeyEnv: null, baseUrlEnv: null };

/** The registries a config is resolved against; their `names()` feed the CLI. */
export interface AgentRegistries {
  /** Tools by name. */
  tools: Registry<ToolFactory>;
  /** Detectors by name. */
  detectors: Registry<DetectorFactory>;
  /** Validators by name. */
  validators: Registry<ValidatorFactory>;
  /** Providers by name. */
  providers: Registry<ProviderBuilder>;
}

/** A problem with one key below the block being built (`model`, `options.timeout`). */
export class ConfigProblem extends TypeError {
  /** The key below the block, e.g. `options.timeout`. */
  readonly subKey: string;
  /** Creates the problem. */
  constructor(subKey: string, why: string) {
    super(why);
    this.name = "ConfigProblem";
    this.subKey = subKey;
  }
}

function num(options: Record<string, unknown>, key: string, min = 0): number | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new ConfigProblem(
      `options.${key}`,
      `must be a number of at least ${min}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function stopOf(options: Record<string, unknown>): string | string[] | undefined {
  const v = options.stop;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  throw new ConfigProblem("options.stop", "must be a string or a list of strings");
}

function headersOf(options: Record<string, unknown>): Record<string, string> | undefined {
  const v = options.headers;
  if (v === undefined || v === null) return undefined;
  if (
    typeof v === "object" && !Array.isArray(v) &&
    Object.values(v).every((s) => typeof s === "string")
  ) {
    return v as Record<string, string>;
  }
  throw new ConfigProblem("options.headers", "must be a mapping of strings");
}

/** The live-provider knobs shared by both HTTP providers, from zu's option names. */
function common(cfg: ProviderConfig, ctx: ProviderContext) {
  const o = cfg.options;
  const timeoutS = num(o, "timeout", 0.001);
  const timeoutMs = num(o, "timeout_ms", 1) ??
    (timeoutS === undefined ? undefined : timeoutS * 1000);
  const maxRetries = num(o, "max_retries", 0);
  const out: Record<string, unknown> = {
    ...(cfg.api_key_env !== null ? { apiKeyEnv: cfg.api_key_env } : {}),
    ...(cfg.base_url_env !== null ? { baseUrlEnv: cfg.base_url_env } : {}),
    ...(cfg.api_key !== null ? { apiKey: cfg.api_key } : {}),
    ...(cfg.base_url !== null ? { baseUrl: cfg.base_url } : {}),
    ...(cfg.max_tokens !== null ? { maxTokens: cfg.max_tokens } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(maxRetries !== undefined ? { maxRetries: Math.floor(maxRetries) } : {}),
    ...(num(o, "temperature") !== undefined ? { temperature: num(o, "temperature") } : {}),
    ...(num(o, "top_p") !== undefined ? { topP: num(o, "top_p") } : {}),
    ...(stopOf(o) !== undefined ? { stop: stopOf(o) } : {}),
    ...(headersOf(o) !== undefined ? { headers: headersOf(o) } : {}),
    ...(ctx.env ? { env: ctx.env } : {}),
    ...(ctx.onWarning ? { onWarning: ctx.onWarning } : {}),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
  };
  return out;
}

/** `scripted`: plays `provider.script`. */
export const buildScripted: ProviderBuilder = providerBuilder((cfg) => {
  try {
    return ScriptedProvider.fromMoves(cfg.script ?? []);
  } catch (e) {
    throw new ConfigProblem("script", e instanceof Error ? e.message : String(e));
  }
}, NO_ENDPOINT);

/** `openai-compatible`: chat completions; `model` is required. */
export const buildOpenAICompatible: ProviderBuilder = providerBuilder((cfg, ctx) => {
  if (cfg.model === null || cfg.model === "") {
    throw new ConfigProblem("model", 'is required by provider "openai-compatible"');
  }
  const seed = num(cfg.options, "seed");
  return new OpenAICompatibleProvider({
    ...common(cfg, ctx),
    ...(seed !== undefined ? { seed } : {}),
    model: cfg.model,
  } as OpenAICompatibleOptions);
}, OPENAI_ENDPOINT);

/** `anthropic`: Messages API; default model `claude-opus-4-8`. */
export const buildAnthropic: ProviderBuilder = providerBuilder((cfg, ctx) => {
  const topK = num(cfg.options, "top_k", 0);
  const version = cfg.options.anthropic_version;
  if (version !== undefined && typeof version !== "string") {
    throw new ConfigProblem("options.anthropic_version", "must be a string");
  }
  return new AnthropicProvider({
    ...common(cfg, ctx),
    ...(topK !== undefined ? { topK } : {}),
    ...(version !== undefined ? { anthropicVersion: version } : {}),
    ...(cfg.model !== null ? { model: cfg.model } : {}),
  } as AnthropicOptions);
}, ANTHROPIC_ENDPOINT);
