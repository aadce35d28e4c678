/**
 * The in-process way of running an agent: `runTask` with the assembled run, in this process and
 * under this process's own permissions (tests, embedding, trusted agents). Events go to the
 * caller's sink (default: in memory); a matching `track.json` is replayed unless turned off.
 *
 * @example
 * ```ts
 * import { loadAgentConfig } from "../agent/config.ts";
 * import { runInProcess } from "./in_process.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/agent.yaml`, [
 *   "task: {query: What is the answer?}",
  "plugins: {validators: []}",
 *   "plugins: {validators: []}",
 *   "provider:",
 *   "  name: scripted",
 *   "  script: [{text: '{\"answer\": 42}'}]",
 * ].join("\n"));
 * const config = await loadAgentConfig(dir, { env: () => undefined });
 * const run = await runInProcess({ file: `${dir}/agent.yaml`, config }, { track: false });
 * console.assert(run.result.status === "success" && run.events.length > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { EventBus } from "../core/bus.ts";
import type { Event } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";
import type { AgentRegistries } from "../agent/config.ts";
import type { RunnableAgent } from "./jailed.ts";
import type { AgentRun } from "./agent_run.ts";

/** Options of {@link runInProcess}. */
export interface InProcessOptions {
  /** The event log to append to (the caller's to close). Default: a fresh in-memory sink. */
  sink?: EventSink;
  /** Reads the environment (provider keys). Default: none set. */
  env?: (name: string) => string | undefined;
  /** The registries the agent is resolved against. Default: the built-in ones. */
  registries?: AgentRegistries;
  /** Replay a matching `<agent>/track.json`. Default true. */
  track?: boolean;
  /** Called for each event after it was stored. */
  onEvent?: (event: Event) => void;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** A finished in-process run. */
export interface InProcessRun extends AgentRun {
  /** Discriminator. */
  mode: "in-process";
}

/** Runs `agent` in this process. */
export async function runInProcess(
  agent: RunnableAgent,
  options: InProcessOptions = {},
): Promise<InProcessRun> {
  const env = options.env ?? (() => undefined);
  const { assembleRun } = await import("../agent/config.ts");
  const { runTask } = await import("../agent/loop.ts");
  const run = await assembleRun(agent.config, {
    env,
    ...(options.registries ? { registries: options.registries } : {}),
  });
  let sink = options.sink;
  if (!sink) {
    const { MemorySink } = await import("../sinks/memory/mod.ts");
    sink = new MemorySink();
  }
  const bus = new EventBus(sink);
  const events: Event[] = [];
  bus.subscribe((e) => {
    events.push(e);
    options.onEvent?.(e);
  });
  let track = null;
  if (options.track !== false) {
    const { Track } = await import("../agent/track.ts");
    track = await Track.load(`${agent.config.agentDir}/track.json`);
  }
  const result = await runTask(run.spec, run.provider, run.plugins, bus, {
    ...run.runOptions,
    env,
    ...(track ? { track } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    mode: "in-process",
    result,
    events,
    task: run.spec.query,
    taskId: run.spec.task_id,
    model: run.provider.model,
    replayedTrack: track !== null && track.matches(run.spec.query),
  };
}
