/**
 * A run's live clearance on the host: the {@link ClearanceDesk} every egress path of the run asks
 * (the jail's fetch relay, the contained run's sidecar over its socket, tier-2 tools), with the
 * run id fixed by the host (never taken from the sandbox), the desk's reports turned into
 * `harness.egress.pending` / `harness.egress.clearance` events by whoever runs the run, and the
 * verdict channel that lets another process (`zu clear`, `zu serve`) decide. Closing it denies
 * every held request (fail closed).
 *
 * @example
 * ```ts
 * import { openRunClearance } from "./run_clearance.ts";
 * await using c = await openRunClearance({ holdMs: "off", dbPath: null });
 * const a = await c.gate.request({ run_id: "ignored", host: "new.test", port: 443, scheme: "https" });
 * console.assert(a.decision === "deny");
 * ```
 * @module
 */
import type { ClearanceReport } from "./clearance_report.ts";
import { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
import type {
  ClearanceAnswer,
  ClearanceGate,
  ClearanceRequest,
} from "../../backends/egress/clearance/clearance_answer.ts";
import type { SqliteClearanceStore } from "../../sinks/sqlite/clearance_store.ts";
import type { ClearanceInbox } from "../../sinks/sqlite/clearance_inbox.ts";

export { type ClearanceReport, clearanceReportEvent } from "./clearance_report.ts";

/** Busy timeout of the poller's connection: a poll never blocks the proxy's event loop long. */
const POLL_BUSY_TIMEOUT_MS = 200;

/** Options of {@link openRunClearance}. */
export interface RunClearanceOptions {
  /** Hold in ms, or `"off"`: deny at once (today's behaviour). Default 25 000. */
  holdMs?: number | "off";
  /**
   * The run's SQLite event database: persisted rules are read from it and the verdicts of other
   * processes arrive through it. `null`: in-memory rules, verdicts only through {@link RunClearance.desk}.
   */
  dbPath: string | null;
  /** The run id until {@link RunClearance.setRun} names the real one. Default a random id. */
  runId?: string;
  /** Closes the clearance (fail closed) when aborted. */
  signal?: AbortSignal;
}

/** The run's clearance. */
export interface RunClearance extends AsyncDisposable {
  /** What every egress path of the run asks; `run_id` of a request is replaced by the run's. */
  readonly gate: ClearanceGate;
  /** The desk itself (verdicts in this process, `pending()`). */
  readonly desk: ClearanceDesk;
  /** The hold in ms (0 when off). */
  readonly holdMs: number;
  /** The run id requests are filed under. */
  runId(): string;
  /** Names the run (its task id, once known); later requests are filed under it. */
  setRun(runId: string): void;
  /** Sets the receiver of the desk's reports (earlier ones replayed); `() => {}` detaches. */
  listen(fn: (report: ClearanceReport) => void): void;
  /** Denies every held request and stops the verdict channel. */
  close(): Promise<void>;
}

/** How many run ids a clearance remembers (its rows are taken for each). */
const MAX_RUN_IDS = 8;

/**
 * Opens a run's clearance. With a `dbPath`, persisted rules come from the database's
 * `clearances` table (deny beats allow across a restart) and the verdicts of other processes
 * from its `clearance_verdicts` inbox, polled every 25 ms; if the database is removed, replaced
 * or unreadable for ~5 s, the clearance closes (every held request denied). Throws when the file
 * is not a usable event database.
 */
export async function openRunClearance(options: RunClearanceOptions): Promise<RunClearance> {
  let runId = options.runId ?? `run-${crypto.randomUUID()}`;
  const runIds: string[] = [runId];
  const early: ClearanceReport[] = [];
  let receiver: ((r: ClearanceReport) => void) | null = null;
  const report = (r: ClearanceReport): void => {
    if (receiver === null) early.push(r);
    else receiver(r);
  };
  const hold = options.holdMs ?? 25_000;
  // SQLite is loaded only for a run that has a database (importing this module loads no driver).
  let store: SqliteClearanceStore | null = null;
  let inbox: ClearanceInbox | null = null;
  let startVerdictPoller: typeof import("./_verdict_poller.ts").startVerdictPoller | null = null;
  if (options.dbPath !== null) {
    const [{ SqliteClearanceStore }, { ClearanceInbox }, poller] = await Promise.all([
      import("../../sinks/sqlite/clearance_store.ts"),
      import("../../sinks/sqlite/clearance_inbox.ts"),
      import("./_verdict_poller.ts"),
    ]);
    startVerdictPoller = poller.startVerdictPoller;
    store = new SqliteClearanceStore(options.dbPath);
    try {
      inbox = new ClearanceInbox(options.dbPath, { busyTimeoutMs: POLL_BUSY_TIMEOUT_MS });
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  const desk = new ClearanceDesk({
    holdMs: hold,
    onPending: (pending) => report({ kind: "pending", pending }),
    onVerdict: (decision) => report({ kind: "clearance", decision }),
    ...(store !== null ? { store } : {}),
  });
  await desk.ready().catch(() => {}); // unreadable rules: the desk denies every request
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      desk.close();
      await poller?.stop();
      inbox?.close();
      await store?.close();
    })();
    return closing;
  };
  const poller = inbox === null || options.dbPath === null || startVerdictPoller === null
    ? null
    : startVerdictPoller({
      inbox,
      desk,
      path: options.dbPath,
      runIds: () => runIds,
      onDead: () => void close(),
    });
  if (options.signal?.aborted) await close();
  else options.signal?.addEventListener("abort", () => void close(), { once: true });
  const gate: ClearanceGate = {
    request: (req: ClearanceRequest): Promise<ClearanceAnswer> =>
      desk.request({ ...req, run_id: runId }),
  };
  return {
    gate,
    desk,
    holdMs: hold === "off" ? 0 : hold,
    runId: () => runId,
    setRun: (id: string) => {
      runId = id;
      if (!runIds.includes(id)) runIds.push(id);
      if (runIds.length > MAX_RUN_IDS) runIds.splice(0, runIds.length - MAX_RUN_IDS);
    },
    listen: (fn) => {
      receiver = fn;
      for (const r of early.splice(0)) fn(r);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
