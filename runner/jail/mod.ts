/**
 * The Deno permission jail: compute the exact `deno run` flags of an agent run (declared hosts
 * only, private and metadata ranges denied, read on the agent directory, no run, ffi or sys),
 * run the agent in a child under them, and turn any refusal by Deno into a
 * `harness.defense.blocked` event of kind `runtime_permission`.
 *
 * @example
 * ```ts
 * import { computeRunPermissions } from "./mod.ts";
 * const { flags } = computeRunPermissions({
 *   agentDir: "/agents/shop",
 *   tools: [{ name: "http_fetch", egress: ["*"] }],
 *   target: "https://shop.example/",
 * }, { mode: "live" });
 * console.assert(flags.includes("--allow-net=shop.example:80,shop.example:443"));
 * ```
 * @module
 */
export {
  BROKER_WHY,
  computeRunPermissions,
  DENY_RANGES,
  netEntryOfUrl,
  PARSER_ENV_KEYS,
} from "./permission_flags.ts";
export type {
  BrokerAddress,
  JailAgent,
  JailProvider,
  JailTool,
  PermissionReason,
  RunPermissionOptions,
  RunPermissions,
} from "./permission_flags.ts";
export { runInJail } from "./child_runner.ts";
export type { JailOutcome, RunInJailOptions } from "./child_runner.ts";
export {
  denialDetail,
  isPermissionDenial,
  jailTool,
  jailTools,
  RUNTIME_PERMISSION,
  runtimePermissionBlock,
} from "./jail_tool.ts";
export { installDenialHandlers, LineSink, safeEnv } from "./jail_child.ts";
export type { DenialContext } from "./jail_child.ts";
export { parseJailLine, writeJailLine } from "./protocol.ts";
export { parseJailResult } from "./jail_result.ts";
export type {
  HardenChildResult,
  JailMode,
  JailResults,
  LiveChildResult,
  OfflineChildResult,
} from "./jail_result.ts";
export type {
  ErrorMessage,
  EventMessage,
  JailMessage,
  ProgressMessage,
  ResultMessage,
  ToolCallError,
  ToolCallMessage,
  ToolResultMessage,
} from "./protocol.ts";
export {
  errorOfReply,
  HOST_EXECUTED_TOOLS,
  hostForwardedTool,
  HostToolClient,
  replyErrorOf,
} from "./host_tool.ts";
export type { HostToolClientOptions, HostToolPrecheck } from "./host_tool.ts";
export { jailAgentOf } from "./jail_agent.ts";
export { confinedAgentDir } from "./agent_dir.ts";
export type { ConfinedAgentDirOptions } from "./agent_dir.ts";
export type { JailAgentOptions } from "./jail_agent.ts";
export {
  applyModelOverrides,
  modelRoutes,
  parseModelOverrides,
  providerRoute,
  providerUpstream,
  routeIdOf,
} from "./model_routes.ts";
export type { ModelOverrides, ModelRoute, ProviderUpstream } from "./model_routes.ts";
