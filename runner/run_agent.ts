/**
 * The one interface over the ways of running an agent: `in-process` (this process, its own
 * permissions), `jailed` (a Deno permission child, tier-2 tools served by the host) and
 * `contained` (the jailed child inside the runtime container, behind the egress proxy). Each mode
 * answers its own typed result; all share {@link AgentRun}, which {@link recordRun} books.
 *
 * @example
 * ```ts ignore
 * import { runAgent } from "./run_agent.ts";
 * const run = await runAgent(agent, { mode: "jailed", host, sink });
 * console.log(run.result.status, run.outcome.argv.length);
 * const boxed = await runAgent(agent, { mode: "contained", sink, timeoutMs: 600_000 });
 * console.log(boxed.outcome.proxyDecisions.length);
 * ```
 * @module
 */
import type { LaunchOutcome } from "../core/types.ts";
import type { JailOutcome } from "./jail/child_runner.ts";
import type { RunPermissions } from "./jail/permission_flags.ts";
import type { LiveChildResult } from "./jail/jail_result.ts";
import type { RunSandboxedOptions } from "./contained/run_contained.ts";
import type { AgentRun } from "./agent_run.ts";
import type { InProcessOptions, InProcessRun } from "./in_process.ts";
import type { RunHost, RunnableAgent } from "./jailed.ts";
import type { RunLiveOptions } from "./live_run.ts";

export type { AgentRun, RunMode } from "./agent_run.ts";

/** A run in this process. */
export interface InProcessRequest extends InProcessOptions {
  /** Discriminator. */
  mode: "in-process";
}

/** A run in a Deno permission child. */
export interface JailedRequest extends RunLiveOptions {
  /** Discriminator. */
  mode: "jailed";
  /** Environment, stray output and cancellation of the host process. */
  host: RunHost;
}

/** A run in the runtime container behind the egress proxy. */
export interface ContainedRequest extends Omit<RunSandboxedOptions, "jail"> {
  /** Discriminator. */
  mode: "contained";
}

/** Any run request. */
export type RunRequest = InProcessRequest | JailedRequest | ContainedRequest;

/** A finished jailed run. */
export interface JailedAgentRun extends AgentRun {
  /** Discriminator. */
  mode: "jailed";
  /** How the child ended (exit code, argv, stderr). */
  outcome: JailOutcome;
}

/** A finished contained run. */
export interface ContainedRun extends AgentRun {
  /** Discriminator. */
  mode: "contained";
  /** The launcher's outcome: exit code, proxy decisions, allowlist. */
  outcome: LaunchOutcome;
  /** The jail flags used inside the container. */
  perms: RunPermissions;
  /** The run id (the `zu.run` label of everything created). */
  runId: string;
  /** The image the agent ran in. */
  image: string;
}

function fromChild(child: LiveChildResult): Omit<AgentRun, "mode" | "events"> {
  return {
    result: child.result,
    task: child.task,
    taskId: child.task_id,
    model: child.model,
    replayedTrack: child.replayed_track,
  };
}

/** Runs `agent` in this process. */
export function runAgent(agent: RunnableAgent, request: InProcessRequest): Promise<InProcessRun>;
/** Runs `agent` in a Deno permission child. */
export function runAgent(agent: RunnableAgent, request: JailedRequest): Promise<JailedAgentRun>;
/** Runs `agent` in the runtime container behind the egress proxy. */
export function runAgent(agent: RunnableAgent, request: ContainedRequest): Promise<ContainedRun>;
/** Runs `agent` the way `request.mode` says. */
export async function runAgent(
  agent: RunnableAgent,
  request: RunRequest,
): Promise<InProcessRun | JailedAgentRun | ContainedRun> {
  if (request.mode === "in-process") {
    const { mode: _, ...options } = request;
    const { runInProcess } = await import("./in_process.ts");
    return await runInProcess(agent, options);
  }
  if (request.mode === "jailed") {
    const { mode: _, host, ...options } = request;
    const { runLive } = await import("./live_run.ts");
    const run = await runLive(host, agent, options);
    return {
      mode: "jailed",
      ...fromChild(run.result),
      events: run.events,
      outcome: run.outcome,
      ...(run.sandbox !== undefined ? { sandbox: run.sandbox } : {}),
    };
  }
  const { mode: _, ...options } = request;
  const { runSandboxed } = await import("./contained/run_contained.ts");
  const { jailAgentOf } = await import("./jail/jail_agent.ts");
  const jail = await jailAgentOf(agent.config, options.env ? { env: options.env } : {});
  const run = await runSandboxed(agent.file, { ...options, jail });
  return {
    mode: "contained",
    ...fromChild(run.result),
    events: run.events,
    outcome: run.outcome,
    perms: run.perms,
    runId: run.runId,
    image: run.image,
  };
}
