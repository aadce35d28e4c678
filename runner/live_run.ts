/**
 * One live run in the jail, as `zu run` and `zu capture` do it: the declared hosts resolved and
 * granted, the agent's event log opened, tier-2 tool calls served by the host, and everything
 * closed afterwards.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { type CommandContext, str } from "./_command.ts";
import { eventLogPath, type LoadedAgent } from "./_agent.ts";
import { openEventLog } from "./_event_log.ts";
import { type JailedRun, permissionsFor, runJailed } from "./_jail.ts";

/** Options of {@link runLive}. */
export interface RunLiveOptions {
  /** Options handed to the child as JSON. */
  childOptions?: Record<string, unknown>;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
}

/** A finished live run and the event log it was appended to. */
export interface LiveRun extends JailedRun {
  /** Path of the event log. */
  db: string;
}

/** Runs `agent` live in the jail, appending to its event log (or `--db`). */
export async function runLive(
  ctx: CommandContext,
  agent: LoadedAgent,
  options: RunLiveOptions = {},
): Promise<LiveRun> {
  const { perms, dns } = await permissionsFor(ctx.io, agent, { mode: "live", resolve: true });
  const db = eventLogPath(ctx.io, agent, str(ctx, "db"));
  const sink = await openEventLog(ctx.io, db, {
    mustExist: false,
    encryption: str(ctx, "db") ? "none" : agent.config.event_sink?.encryption ?? "none",
  });
  const { HostToolExecutor } = await import("./_host_tools.ts");
  const hostTools = new HostToolExecutor(agent.config, { env: (k) => ctx.io.env(k) });
  try {
    const run = await runJailed(ctx.io, agent, {
      mode: "live",
      perms,
      dns,
      sink,
      ...options,
      onToolCall: (call) => hostTools.call(call),
    });
    return { ...run, db };
  } finally {
    await hostTools.close();
    await sink.close();
  }
}
