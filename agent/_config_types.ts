/**
 * The parsed shape of an agent file (`agent.yaml` / `agent.json`), zu's `RunConfig` keys in
 * zu's snake_case, plus where it came from and the warnings found while reading it.
 *
 * @module
 */
import type { Budget } from "../core/contracts.ts";
import type { EventSinkConfig, SandboxPrices } from "../core/types.ts";
import type { RepoGrant } from "../core/repo_grant.ts";
import type { PolicyEffect } from "./action_policy_gate.ts";

/** The model block: which provider, and the neutral knobs it may take. */
export interface ProviderConfig {
  /** A registry name (`scripted`, `openai-compatible`, `anthropic`) or a module path `./x.ts#X`. */
  name: string;
  /** Model id. */
  model: string | null;
  /** Environment variable holding the key. */
  api_key_env: string | null;
  /** Environment variable holding the base URL. */
  base_url_env: string | null;
  /** An explicit key (discouraged in files). */
  api_key: string | null;
  /** An explicit base URL. */
  base_url: string | null;
  /** Default max tokens per response. */
  max_tokens: number | null;
  /** The scripted provider's moves. */
  script: Record<string, unknown>[] | null;
  /** Provider-specific options (`timeout`, `max_retries`, `temperature`, ...). */
  options: Record<string, unknown>;
}

/** One plugin reference: a registry name or a module path, with constructor arguments. */
export interface PluginRef {
  /** `http_fetch` or `./tools/my_tool.ts#MyTool`. */
  ref: string;
  /** Arguments handed to the plugin's factory or constructor. */
  args: Record<string, unknown>;
  /** Where it sits in the file (`plugins.tools[1]`, `tiers.2[0]`), for messages. */
  key: string;
}

/** Which plugins are active. */
export interface PluginsConfig {
  /** Tools not placed on a tier (they keep their own tier). */
  tools: PluginRef[];
  /** Detectors. */
  detectors: PluginRef[];
  /** Validators. Default `[schema, grounding]`. */
  validators: PluginRef[];
}

/** Encryption at rest of an event sink: a codec name the sink registry knows. */
export type EncryptionMode = string;

/** An event sink block (the canonical store or a trace sink); its keys are the sink registry's. */
export type { EventSinkConfig } from "../core/types.ts";

/** `observability` (accepted for zu compatibility). */
export interface ObservabilityConfig {
  /** Review queue path, or null. Default `zu_review.jsonl`. */
  review_queue: string | null;
  /** `render` (default) or `full`. */
  scope: "render" | "full";
}

/** Settings of a recorded-track replay. */
export interface ReplayConfig {
  /** Replaces the run budget when a track replays. */
  budget: Budget | null;
  /** A cheaper model for the post-replay frontier. */
  finish_model: string | null;
  /** Median replay jitter in ms. Default 400. */
  jitter_median_ms: number;
}

/** One action-policy rule as written, or the `read-only` preset. */
export type ActionPolicyEntry =
  | "read-only"
  | { tool: string; op: string | null; match: string | null; effect: PolicyEffect };

/** The `task` block. */
export interface TaskConfig {
  /** The question. */
  query: string;
  /** The target (usually a URL). */
  target: string | null;
  /** JSON Schema of the answer. */
  output_schema: Record<string, unknown>;
  /** Highest tier. Default 2. */
  max_tier: number;
  /** The task's own budget (otherwise the top-level one applies). */
  budget: Partial<Budget> | null;
  /** Starts tainted. */
  tainted: boolean;
  /** `execute` or `explore`. */
  mode: "execute" | "explore";
  /** Quarantined. */
  quarantined: boolean;
  /** A fixed task id, when given. */
  task_id: string | null;
}

/** A whole agent file, parsed and checked. */
export interface AgentConfig {
  /** The file read. */
  path: string;
  /** Its directory (module paths and sink paths are relative to it). */
  agentDir: string;
  /** The global provider. */
  provider: ProviderConfig;
  /** Per-tier provider overrides. */
  providers: Map<number, ProviderConfig>;
  /** Tier number to the tools offered at that tier (stamps each tool's tier). */
  tiers: Map<number, PluginRef[]>;
  /** Active plugins. */
  plugins: PluginsConfig;
  /**
   * The sandbox backend of host-run tools: a registered name (`local-docker`) or a module
   * reference (`./my_backend.ts#makeBackend`); null for the default (`runner/sandbox_registry.ts`).
   */
  backend: string | null;
  /** The operator's sandbox price table (`sandbox_prices:`), or null for none. */
  sandbox_prices: SandboxPrices | null;
  /** The canonical store; null means in memory. */
  event_sink: EventSinkConfig | null;
  /** Secondary trace destinations. */
  trace_sinks: EventSinkConfig[];
  /** Observability settings. */
  observability: ObservabilityConfig;
  /** Top-level budget (defaults filled). */
  budget: Budget;
  /** Replay settings. */
  replay: ReplayConfig;
  /** Per-observation cap of what the model sees, or null. */
  max_observation_chars: number | null;
  /** `truncate` (default) or `extract`. */
  observation_strategy: "truncate" | "extract";
  /** Cap of the whole conversation, or null. */
  max_context_chars: number | null;
  /** `audit` (default) or `required`. */
  containment: "audit" | "required";
  /** Host patterns navigation is limited to, or null for no limit. */
  allowed_domains: string[] | null;
  /**
   * Loopback origins (`127.0.0.1:8080`) the navigation tools may reach for a local test, in
   * canonical text (core/local_origin.ts); empty for none.
   */
  local_origins: string[];
  /** Ordered action policies. */
  action_policies: ActionPolicyEntry[];
  /** Gated git repositories the run may clone or push (agent.yaml `repos:`); empty for none. */
  repos: RepoGrant[];
  /** The task, when the file carries one. */
  task: TaskConfig | null;
  /** Non-fatal findings (unknown keys), in file order. Never printed by the library. */
  warnings: string[];
}
