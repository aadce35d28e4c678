/**
 * One live run in the jail, as `zu run` and `zu capture` do it: the runner's jailed mode
 * (`runAgent`: the declared hosts resolved and granted, tier-2 tool calls served by the host),
 * the agent's event log opened once every input was checked, and closed afterwards. The run's
 * live clearance (`--clearance-hold`, docs/clearance.md "Jailed runs") is opened on the log's file
 * before the run and closed after it (fail closed: a held request is denied).
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";
import type { JailedAgentRun } from "../runner/run_agent.ts";
import type { RunClearance } from "../runner/clearance/run_clearance.ts";
import { type CommandContext, str } from "./_command.ts";
import type { LoadedAgent } from "./_agent.ts";
import { canonicalSink, openRunLog } from "./_event_log.ts";
import { clearanceHoldOf } from "./_clearance_flags.ts";
import { secretSettingsOf } from "./_secret_flags.ts";

/** Options of {@link runLive}. */
export interface RunLiveOptions {
  /** Replay a matching `track.json` inside the child. Default true. */
  track?: boolean;
  /** The task's query instead of the agent's. Default the agent's. */
  task?: string;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
}

/** A finished live run and the event log it was appended to. */
export interface LiveRun extends JailedAgentRun {
  /** Path of the event log (null when it keeps no file). */
  db: string | null;
}

/** Runs `agent` live in the jail, appending to its event log (or `--db`). */
export async function runLive(
  ctx: CommandContext,
  agent: LoadedAgent,
  options: RunLiveOptions = {},
): Promise<LiveRun> {
  const { runAgent } = await import("../runner/run_agent.ts");
  const opened: { sink: EventSink | null; db: string | null } = { sink: null, db: null };
  const open = async (): Promise<EventSink> => {
    const log = await openRunLog(ctx.io, agent, str(ctx, "db"));
    opened.sink = log.sink;
    opened.db = log.db;
    return log.sink;
  };
  // The operator's secrets and bindings: values stay in this process (docs/secrets.md).
  await using secrets = await secretSettingsOf(ctx);
  await secrets.verify();
  // Live clearance: a fetch to an undeclared host waits for an operator (zu pending, zu clear).
  await using clearance = liveClearance(ctx, agent, () => opened.db);
  try {
    const run = await runAgent(agent, {
      mode: "jailed",
      host: ctx.io,
      sink: open,
      secrets,
      ...clearance.option,
      ...options,
    });
    return { ...run, db: opened.db };
  } finally {
    // Fail closed: anything still held is denied before the log closes.
    await clearance.close();
    await opened.sink?.close();
  }
}

/** A run's live clearance as the runner takes it, and its closing. */
export interface LiveClearance extends AsyncDisposable {
  /** Spread into the run's options: opens the clearance when the log opens (none when off). */
  option: { clearance?: () => Promise<RunClearance> };
  /** Closes it if it was opened (every held request is denied). Idempotent. */
  close(): Promise<void>;
}

/**
 * The clearance of a live run started with `ctx` (`--clearance-hold`, `$ZU_CLEARANCE_HOLD`), on
 * the SQLite log's own file (`db()`, read once the log is open; another driver keeps the rules in
 * memory). Used by `zu run`, `zu capture`, `zu serve` and `zu approve|reject` (the resumed run).
 */
export function liveClearance(
  ctx: CommandContext,
  agent: LoadedAgent,
  db: () => string | null,
): LiveClearance {
  const hold = clearanceHoldOf(ctx);
  let opened: RunClearance | null = null;
  const open = async (): Promise<RunClearance> => {
    const { openRunClearance } = await import("../runner/clearance/run_clearance.ts");
    const sqlite = canonicalSink(ctx.io, agent, str(ctx, "db")).driver === "sqlite";
    opened = await openRunClearance({
      holdMs: hold,
      dbPath: sqlite ? db() : null,
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    });
    return opened;
  };
  const close = async (): Promise<void> => {
    const c = opened;
    opened = null;
    await c?.close();
  };
  return {
    option: hold === "off" ? {} : { clearance: open },
    close,
    [Symbol.asyncDispose]: close,
  };
}
