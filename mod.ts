/**
 * zu for Deno: run LLM agents safely and harden them before any live run.
 *
 * The root module is the event log core plus the agent runtime. Adapters live behind their own
 * subpaths so importing this module never loads SQLite or Docker:
 * `@zu/zu/sinks` (the driver registry; drivers load when opened), `@zu/zu/sinks/sqlite`,
 * `@zu/zu/sinks/jsonl`, `@zu/zu/sinks/memory`, `@zu/zu/sinks/encryption`,
 * `@zu/zu/backends/docker`, `@zu/zu/backends/egress`, `@zu/zu/harness`, `@zu/zu/runner` (the ways
 * of running an agent: in-process, jailed, contained), `@zu/zu/runner/jail`,
 * `@zu/zu/runner/contained`, `@zu/zu/testing`.
 *
 * @example
 * ```ts
 * import { EventBus, newTaskSpec, runTask, ScriptedProvider } from "./mod.ts";
 * import { MemorySink } from "./sinks/memory/mod.ts";
 *
 * const bus = new EventBus(new MemorySink());
 * const provider = ScriptedProvider.fromMoves([{ text: '{"answer": "42"}' }]);
 * const plugins = { tools: new Map(), detectors: new Map(), validators: new Map(), gates: new Map() };
 * const result = await runTask(newTaskSpec({ query: "What is the answer?" }), provider, plugins, bus);
 * console.assert(result.status === "success");
 * await bus.close();
 * ```
 * @module
 */
export * from "./core/mod.ts";
export { runTask, SYSTEM_PROMPT } from "./agent/loop.ts";
export type { RunTaskOptions, Sleep } from "./agent/loop.ts";
export { resumeTask } from "./agent/resume.ts";
export { pausedRunOf, resolutionPayload } from "./agent/approvals.ts";
export type {
  ApprovalDecision,
  ApprovalRequest,
  Approver,
  PausedRun,
  PendingCallRecord,
  RecordedResolution,
} from "./agent/approvals.ts";
export { ScriptedProvider } from "./agent/providers/scripted.ts";
export { OpenAICompatibleProvider } from "./agent/providers/openai_compatible.ts";
export { AnthropicProvider } from "./agent/providers/anthropic.ts";
export { recordTrack, Track } from "./agent/track.ts";
export type { TrackStep } from "./agent/track.ts";
export { summarizeCost } from "./agent/cost.ts";
export type { CostSummary } from "./agent/cost.ts";
export { containmentBasis, enforceContainment, needsContainment } from "./agent/security.ts";
export type {
  ContainmentBasis,
  ContainmentOptions,
  ContainmentPolicy,
  EnvReader,
} from "./agent/security.ts";
export { builtinDetectors, builtinValidators } from "./agent/checks/mod.ts";
export { builtinTools, HtmlParse, HttpFetch, Recall } from "./agent/tools/mod.ts";
export { assembleRun, loadAgentConfig } from "./agent/config.ts";
export { openSink, openSinks, sinkRegistry } from "./sinks/mod.ts";
export type { OpenSinkOptions, OpenSinksOptions, SinkSettings } from "./sinks/mod.ts";
export type {
  ActionPolicyEntry,
  AgentConfig,
  AgentConfigOptions,
  AgentRegistries,
  AgentRunOptions,
  AssembledRun,
  AssembleOptions,
  EncryptionMode,
  EventSinkConfig,
  ObservabilityConfig,
  PluginRef,
  PluginsConfig,
  ProviderConfig,
  ProviderContext,
  ReplayConfig,
  TaskConfig,
} from "./agent/config.ts";
export type {
  DetectorFactory,
  ProviderBuilder,
  ToolFactory,
  ValidatorFactory,
} from "./agent/_config_registries.ts";
export { builtinRegistries, providerBuilder } from "./agent/builtins.ts";
export { ActionPolicyGate } from "./agent/action_policy_gate.ts";
export type { PolicyEffect, PolicyRule } from "./agent/action_policy_gate.ts";
export { AllowedDomainsGate } from "./agent/allowed_domains_gate.ts";
