/**
 * The ways of running an agent, behind one typed interface ({@link runAgent}):
 *
 * - `in-process`: `runTask` with the assembled run, in this process and under its permissions;
 * - `jailed`: a `deno run` child under exactly the computed permission flags, its events
 *   streamed to the host's sink, tier-2 tools (`render_dom`, `browser`) served by the host;
 * - `contained`: that jailed child inside the runtime container, behind the egress proxy.
 *
 * Each mode answers its own typed result (`InProcessRun`, `JailedAgentRun`, `ContainedRun`), all
 * sharing `AgentRun`; {@link recordRun} does zu's bookkeeping afterwards (`track.json`, the cost
 * ledger). The offline modes of the jail (replay, harden) run through {@link runJailed}, whose
 * answer is typed by mode too. The jail's primitives are in `./jail/mod.ts` (`@zu/zu/runner/jail`)
 * and the container launcher in `./contained/mod.ts` (`@zu/zu/runner/contained`).
 *
 * @example
 * ```ts
 * import { recordRun, runAgent } from "./mod.ts";
 * import { loadAgentConfig } from "../agent/config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/agent.yaml`, [
 *   "task: {query: What is the answer?}",
  "plugins: {validators: []}",
 *   "plugins: {validators: []}",
 *   "provider:",
 *   "  name: scripted",
 *   "  script: [{text: '{\"answer\": 42}'}]",
 * ].join("\n"));
 * const agent = { file: `${dir}/agent.yaml`, config: await loadAgentConfig(dir, { env: () => undefined }) };
 * const run = await runAgent(agent, { mode: "in-process", track: false });
 * console.assert(run.result.status === "success" && run.model === null);
 * await recordRun(dir, { ...run, agent: "answer", track: false });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
export { runAgent } from "./run_agent.ts";
export type {
  AgentRun,
  ContainedRequest,
  ContainedRun,
  InProcessRequest,
  JailedAgentRun,
  JailedRequest,
  RunMode,
  RunRequest,
} from "./run_agent.ts";
export { runInProcess } from "./in_process.ts";
export type { InProcessOptions, InProcessRun } from "./in_process.ts";
export { runLive } from "./live_run.ts";
export type { LiveRun, RunLiveOptions } from "./live_run.ts";
export { denoBinary, JAIL_ENTRY, jailFor, permissionsFor, runJailed } from "./jailed.ts";
export { hostEnvResolver, startRunBroker } from "./run_broker.ts";
export type { BrokerReport, RunBroker, RunBrokerOptions, RunSecrets } from "./run_broker.ts";
export type {
  JailedRun,
  JailPermissions,
  PermissionsForOptions,
  RunHost,
  RunJailedOptions,
  RunnableAgent,
} from "./jailed.ts";
export { dockerPreflight, HostToolExecutor } from "./host_tools.ts";
export type { HostToolExecutorOptions } from "./host_tools.ts";
export { recordRun } from "./after_run.ts";
export {
  pausedRunFor,
  pendingApprovals,
  resolveApproval,
  resumeRun,
  runEvents,
} from "./approvals.ts";
export type { PendingApproval, ResolveRequest, ResumeOptions } from "./approvals.ts";
export type { CostLedgerLine, RunRecord } from "./after_run.ts";
export {
  DEFAULT_SANDBOX_BACKEND,
  isDefaultSandboxBackend,
  openSandboxBackend,
  registerSandboxBackend,
  type SandboxBackendContext,
  type SandboxBackendFactory,
  sandboxBackendNames,
} from "./sandbox_registry.ts";
export { meteredBackend, SandboxMeterBook, type SandboxRunCost } from "./sandbox_meter_book.ts";
