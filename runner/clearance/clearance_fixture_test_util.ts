/**
 * Test fixture: a "live run" on an event database — {@link openRunClearance} whose desk reports
 * are appended to the file as `harness.egress.pending|clearance` events, as the run paths do.
 *
 * @module
 */
import type { ClearanceDecision, ClearancePending } from "../../core/types.ts";
import { SqliteSink } from "../../sinks/sqlite/sqlite_sink.ts";
import { clearanceReportEvent, openRunClearance, type RunClearance } from "./run_clearance.ts";

/** A live run's clearance writing its events. */
export interface LiveClearance extends AsyncDisposable {
  /** The clearance. */
  rc: RunClearance;
  /** The run's log. */
  sink: SqliteSink;
  /** The run id (a task id). */
  runId: string;
  /** Resolves with the next pending record once its event is durable. */
  nextPending(): Promise<ClearancePending>;
  /** Verdict events seen so far. */
  verdicts: ClearanceDecision[];
  /** Closes the clearance, then the log. */
  close(): Promise<void>;
}

/** Opens a live clearance on `dbPath` (its run id a fresh uuid unless given). */
export async function openLiveClearance(
  dbPath: string,
  options: { holdMs?: number; runId?: string } = {},
): Promise<LiveClearance> {
  const runId = options.runId ?? crypto.randomUUID();
  const sink = new SqliteSink(dbPath);
  const rc = await openRunClearance({ holdMs: options.holdMs ?? 10_000, dbPath, runId });
  const seen: ClearancePending[] = [];
  const waiting: ((p: ClearancePending) => void)[] = [];
  const verdicts: ClearanceDecision[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  rc.listen((r) => {
    const e = clearanceReportEvent(r, { task_id: runId, trace_id: runId });
    chain = chain.then(() => sink.append(e)).then(() => {
      if (r.kind === "clearance") return void verdicts.push(r.decision);
      const w = waiting.shift();
      if (w) w(r.pending);
      else seen.push(r.pending);
    }, () => {});
  });
  const close = async () => {
    await rc.close();
    await chain;
    await sink.close();
  };
  return {
    rc,
    sink,
    runId,
    verdicts,
    nextPending: () => {
      const p = seen.shift();
      return p ? Promise.resolve(p) : new Promise((resolve) => waiting.push(resolve));
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
