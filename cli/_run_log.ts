/**
 * The event log a run command appends to: `--db`, else the agent's `event_sink`, else
 * `.zu/events.db`, opened (created when missing) with the agent's encryption unless `--db` was
 * given. One place for `zu run`, `zu run --sandboxed`, `zu capture` and `zu replay`.
 *
 * @module
 */
import type { EventSink } from "../core/types.ts";
import { type CommandContext, str } from "./_command.ts";
import { eventLogPath, type LoadedAgent } from "./_agent.ts";
import { openEventLog } from "./_event_log.ts";

/** Opens the run's event log; the caller closes `sink`. */
export async function openRunLog(
  ctx: CommandContext,
  agent: LoadedAgent,
): Promise<{ db: string; sink: EventSink }> {
  const db = eventLogPath(ctx.io, agent, str(ctx, "db"));
  const sink = await openEventLog(ctx.io, db, {
    mustExist: false,
    encryption: str(ctx, "db") ? "none" : agent.config.event_sink?.encryption ?? "none",
  });
  return { db, sink };
}
