/**
 * The clearances waiting on an operator, read from the event log alone (any process, after any
 * restart): every `harness.egress.pending` whose request has no verdict yet, whose hold has not
 * ended and whose run has not ended. Every text field is sanitised (printable ASCII).
 *
 * @example
 * ```ts
 * import { MemorySink } from "../../sinks/memory/mod.ts";
 * import { pendingClearances } from "./pending_clearances.ts";
 * await using sink = new MemorySink();
 * console.assert((await pendingClearances(sink)).length === 0);
 * ```
 * @module
 */
import type { EventSink } from "../../core/types.ts";
import {
  EGRESS_CLEARANCE,
  EGRESS_PENDING,
  type Event,
  TASK_COMPLETED,
  TASK_TERMINAL,
} from "../../core/events.ts";
import {
  OPERATOR_TEXT_MAX,
  sanitizeForOperator,
} from "../../backends/egress/clearance/sanitize.ts";

/** One pending clearance as the doors show it. */
export interface PendingClearance {
  /** The id a verdict cites. */
  request_id: string;
  /** The run (task id) that asked. */
  run_id: string;
  /** Destination host (printable ASCII). */
  host: string;
  /** Destination port. */
  port: number;
  /** `https` or `http`. */
  scheme: string;
  /** ISO time of the first request. */
  first_seen: string;
  /** ISO time the hold ends (then the request is denied; a later verdict applies to later requests). */
  deadline: string;
  /** Requests attached so far (as last announced). */
  count: number;
}

/** What the log says of one request id. */
export interface ClearanceRecordState {
  /** The last `harness.egress.pending` of the id, sanitised. */
  pending: PendingClearance;
  /** The task the events were written on. */
  task_id: string;
  /** The first operator verdict (or desk close) recorded, or null (deadlines do not count). */
  decided: Record<string, unknown> | null;
  /** Whether the run has ended (`harness.task.completed` or `harness.task.terminal`). */
  runEnded: boolean;
}

function text(v: unknown, max = OPERATOR_TEXT_MAX): string {
  return sanitizeForOperator(typeof v === "string" ? v : String(v ?? ""), max);
}

function pendingOf(e: Event): PendingClearance | null {
  const p = e.payload as Record<string, unknown>;
  if (typeof p.request_id !== "string" || p.request_id === "") return null;
  const port = Number(p.port);
  return {
    request_id: text(p.request_id, 64),
    run_id: text(p.run_id),
    host: text(p.host),
    port: Number.isInteger(port) ? port : 0,
    scheme: text(p.scheme, 16),
    first_seen: text(p.first_seen, 40),
    deadline: text(p.deadline, 40),
    count: Number.isInteger(Number(p.count)) ? Number(p.count) : 0,
  };
}

/** Whether a clearance event is a decision (an operator's, or the desk closing), not a deadline. */
function isDecision(e: Event): boolean {
  return e.payload.actor !== "zu:deadline";
}

async function runEnded(sink: EventSink, taskId: string): Promise<boolean> {
  for (const type of [TASK_COMPLETED, TASK_TERMINAL]) {
    if (await sink.count({ task_id: taskId, type }) > 0) return true;
  }
  return false;
}

/**
 * What the log says of each request id (all of them, or only `requestId`): its last announcement,
 * its first decision, whether its run ended.
 */
export async function clearanceRecords(
  sink: EventSink,
  requestId?: string,
): Promise<Map<string, ClearanceRecordState>> {
  const out = new Map<string, ClearanceRecordState>();
  for (const e of await sink.query({ type: EGRESS_PENDING })) {
    if (requestId !== undefined && e.payload.request_id !== requestId) continue;
    const p = pendingOf(e);
    if (p === null || p.request_id !== e.payload.request_id) continue;
    out.set(p.request_id, { pending: p, task_id: e.task_id, decided: null, runEnded: false });
  }
  if (out.size === 0) return out;
  for (const e of await sink.query({ type: EGRESS_CLEARANCE })) {
    const rec = out.get(String(e.payload.request_id));
    if (rec !== undefined && rec.decided === null && isDecision(e)) rec.decided = e.payload;
  }
  const ended = new Map<string, boolean>();
  for (const rec of out.values()) {
    if (!ended.has(rec.task_id)) ended.set(rec.task_id, await runEnded(sink, rec.task_id));
    rec.runEnded = ended.get(rec.task_id)!;
  }
  return out;
}

/**
 * Every clearance waiting on an operator now: announced, undecided, hold not over, run not ended;
 * oldest first.
 */
export async function pendingClearances(
  sink: EventSink,
  options: { now?: Date } = {},
): Promise<PendingClearance[]> {
  const now = (options.now ?? new Date()).getTime();
  const out: PendingClearance[] = [];
  for (const rec of (await clearanceRecords(sink)).values()) {
    if (rec.decided !== null || rec.runEnded) continue;
    const deadline = Date.parse(rec.pending.deadline);
    if (!Number.isFinite(deadline) || deadline <= now) continue;
    out.push(rec.pending);
  }
  return out;
}
