/**
 * The live run's side of the verdict channel: every ~25 ms it claims the inbox rows of its runs
 * (at most a batch per poll), applies each through the desk and writes the answer back. If the
 * database is gone (deleted or replaced) or cannot be read for many polls in a row, it reports the
 * channel dead (the caller closes the desk: every held request denied). Its timer never keeps
 * the process alive.
 *
 * @module
 */
import type { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
import { ClearanceRefused } from "../../backends/egress/clearance/clearance_error.ts";
import type { ClearanceInbox, InboxRow } from "../../sinks/sqlite/clearance_inbox.ts";

/** Options of {@link startVerdictPoller}. */
export interface VerdictPollerOptions {
  /** The inbox (a connection of its own, short busy timeout). */
  inbox: ClearanceInbox;
  /** The desk verdicts are applied to. */
  desk: ClearanceDesk;
  /** The file to watch: removed or replaced = the channel is dead. */
  path: string;
  /** The runs whose rows this desk takes. */
  runIds: () => readonly string[];
  /** Called once when the channel dies, with why. */
  onDead: (why: string) => void;
  /** Poll period in ms. Default 25. */
  intervalMs?: number;
  /** Rows claimed per poll. Default 32. */
  batch?: number;
  /** Failed polls in a row before the channel is dead. Default 20. */
  maxFailures?: number;
}

/** A running poller. */
export interface VerdictPoller {
  /** Stops polling (idempotent); resolves once a poll in flight finished. */
  stop(): Promise<void>;
}

function identity(path: string): string | null {
  try {
    const s = Deno.statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 300);
}

/** Applies one claimed row; returns the state and answer to write. */
async function apply(
  desk: ClearanceDesk,
  row: InboxRow,
): Promise<["applied" | "refused", unknown]> {
  try {
    const decision = await desk.verdict({
      request_id: row.request_id,
      run_id: row.run_id,
      host: row.host,
      port: row.port,
      action: row.action,
      scope: row.scope,
      actor: row.actor,
      ...(row.reason !== null ? { reason: row.reason } : {}),
      ...(row.ttl_ms !== null ? { ttl_ms: row.ttl_ms } : {}),
    });
    return ["applied", { decision }];
  } catch (e) {
    if (e instanceof ClearanceRefused) {
      return ["refused", { code: e.code, status: e.status, message: e.message }];
    }
    return ["refused", { code: "verdict_failed", status: 500, message: errorText(e) }];
  }
}

/** Starts polling the inbox for the desk's verdicts. */
export function startVerdictPoller(o: VerdictPollerOptions): VerdictPoller {
  const every = o.intervalMs ?? 25;
  const batch = o.batch ?? 32;
  const maxFailures = o.maxFailures ?? 20;
  const id0 = o.path === ":memory:" ? null : identity(o.path);
  let failures = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const dead = (why: string): void => {
    if (stopped) return;
    stopped = true;
    o.onDead(why);
  };
  const poll = async (): Promise<void> => {
    if (id0 !== null && identity(o.path) !== id0) {
      return dead(`the event database "${o.path}" was removed or replaced`);
    }
    let rows: InboxRow[];
    try {
      rows = o.inbox.claim(o.runIds(), batch);
      failures = 0;
    } catch (e) {
      if (++failures >= maxFailures) {
        dead(`the event database "${o.path}" cannot be read: ${errorText(e)}`);
      }
      return;
    }
    for (const row of rows) {
      const [state, answer] = await apply(o.desk, row);
      try {
        o.inbox.settle(row.id, state, answer);
      } catch {
        // The door sees no answer and says so; the verdict itself took effect.
      }
    }
  };
  const tick = (): void => {
    if (stopped) return;
    inFlight = poll().finally(() => {
      if (stopped) return;
      const t = setTimeout(tick, every);
      Deno.unrefTimer(t);
      timer = t;
    });
  };
  const first = setTimeout(tick, 0);
  Deno.unrefTimer(first);
  timer = first;
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight.catch(() => {});
    },
  };
}
