/**
 * One live run in the jail, as `zu run` and `zu capture` do it: the declared hosts resolved and
 * granted, tier-2 tool calls served by the host ({@link HostToolExecutor}), every event appended
 * to the caller's sink, and the host tools closed afterwards. The caller owns the sink; it may
 * hand an opener instead, called only once every input was checked (a refused run leaves no log).
 *
 * @example
 * ```ts ignore
 * import { runLive } from "./live_run.ts";
 * const run = await runLive(host, agent, { sink });
 * console.log(run.result.result.status, run.result.task);
 * ```
 * @module
 */
import type { Event } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";
import type { HostToolExecutorOptions } from "./host_tools.ts";
import { type RunBrokerOptions, type RunSecrets, startRunBroker } from "./run_broker.ts";
import {
  type JailedRun,
  jailFor,
  permissionsFor,
  type RunHost,
  runJailed,
  type RunnableAgent,
} from "./jailed.ts";

/** Options of {@link runLive}. */
export interface RunLiveOptions {
  /**
   * The event log to append to (the caller's to close), or a function that opens it, called once
   * the agent and its permissions were checked; null keeps events in memory only.
   */
  sink: EventSink | null | (() => Promise<EventSink | null>);
  /** Replay a matching `track.json` inside the child. Default true. */
  track?: boolean;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
  /** Options of the host tool executor (backend, egress, preflight). Default: the host's Docker. */
  hostTools?: Omit<HostToolExecutorOptions, "env">;
  /**
   * Where the providers' keys come from: the broker resolves them per request on the host.
   * Default: the host environment (exactly each provider's key variable).
   */
  secrets?: RunSecrets;
  /** Options of the run's model broker besides the secrets (extra upstream roots, for tests). */
  broker?: Omit<RunBrokerOptions, "secrets">;
}

/** A finished live run: the child's typed answer, the stored events and the raw outcome. */
export type LiveRun = JailedRun<"live">;

/** Runs `agent` live in the jail, appending its events to `options.sink`. */
export async function runLive(
  host: RunHost,
  agent: RunnableAgent,
  options: RunLiveOptions,
): Promise<LiveRun> {
  const jail = await jailFor(host, agent);
  // The providers' keys stay here: the child reaches its model through this broker.
  await using broker = await startRunBroker(host, jail, {
    ...options.broker,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const { perms, dns } = await permissionsFor(host, agent, {
    mode: "live",
    resolve: true,
    jail,
    broker: broker ? broker.address : "none",
  });
  const sink = typeof options.sink === "function" ? await options.sink() : options.sink;
  const { HostToolExecutor } = await import("./host_tools.ts");
  const hostTools = new HostToolExecutor(agent.config, {
    ...options.hostTools,
    env: (k) => host.env(k),
  });
  try {
    return await runJailed(host, agent, {
      mode: "live",
      perms,
      dns,
      sink,
      childOptions: { track: options.track ?? true },
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      onToolCall: (call) => hostTools.call(call),
      ...(broker ? { broker } : {}),
    });
  } finally {
    await hostTools.close();
  }
}
