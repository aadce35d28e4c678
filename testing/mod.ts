/**
 * Fakes and helpers for testing code built on zu: an in-memory or scripted implementation of every
 * port, the compat scenario runner, and the sink and sandbox backend conformance suites. The Docker test gate is the
 * separate `./testing/docker` subpath (it pings the daemon when imported).
 *
 * @example
 * ```ts
 * import { FakeClock, MemorySink, ScriptedProvider, SequentialIds } from "./mod.ts";
 * const sink = new MemorySink();
 * const provider = ScriptedProvider.fromMoves([{ text: "{}" }]);
 * console.assert(new SequentialIds().uuid().endsWith("001") && new FakeClock().monotonic() === 0);
 * await sink.close();
 * void provider;
 * ```
 * @module
 */
export { FakeClock } from "./fake_clock.ts";
export { SequentialIds } from "./sequential_ids.ts";
export { MemorySink } from "../sinks/memory/mod.ts";
export { ScriptedProvider } from "../agent/providers/scripted.ts";
export { FakeBrowserEgress, FakeSandboxBackend } from "./fake_sandbox_backend.ts";
export { FakeExecSession } from "./fake_exec_session.ts";
export type { FakeRunHandler, FakeRunReply } from "./fake_exec_session.ts";
export { FakeAgentLauncher } from "./fake_agent_launcher.ts";
export type { FakeAgentLauncherOptions, FakeLauncherWiring } from "./fake_agent_launcher.ts";
export type {
  FakeExecAnswer,
  FakeLeaseRecord,
  FakeSandboxBackendOptions,
  FakeSessionRecord,
} from "./fake_sandbox_backend.ts";
export { loadScenario, runScenario, scenarioSpec, scenarioTool } from "./run_scenario.ts";
export type { RunScenarioOptions, ScenarioRun, ScenarioToolSpec } from "./run_scenario.ts";
export { runSinkConformance } from "../sinks/conformance.ts";
export type { ConformanceContext, SinkFactory } from "../sinks/conformance.ts";
export { runSandboxBackendConformance } from "./sandbox_conformance.ts";
export type { SandboxConformanceOptions } from "./sandbox_conformance.ts";
