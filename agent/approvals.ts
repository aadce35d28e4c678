/**
 * A paused run as its events tell it: the latest `harness.run.paused` of a task that no
 * `harness.run.resumed` followed, the call it is bound to, the state the loop continues from, and
 * the verdict (`harness.approval.resolved`) when one was written. Pure over events: the runner
 * reads them from the event log, the loop resumes from them.
 *
 * @example
 * ```ts
 * import { pausedRunOf } from "./approvals.ts";
 * console.assert(pausedRunOf([]) === null);
 * ```
 * @module
 */
import type { Budget, Message } from "../core/contracts.ts";
import {
  APPROVAL_RESOLVED,
  type Event,
  RUN_PAUSED,
  RUN_RESUMED,
  TASK_STARTED,
} from "../core/events.ts";

export type { ApprovalDecision, ApprovalRequest, Approver } from "./_human.ts";
export { resolutionPayload } from "./_human.ts";

/** The call a paused run is bound to. */
export interface PendingCallRecord {
  /** The tool. */
  tool: string;
  /** Its arguments. */
  args: Record<string, unknown>;
  /** Its idempotency key. */
  idempotency_key: string;
}

/** A verdict read from the log. */
export interface RecordedResolution {
  /** `approve` or `deny` (zu's words; the API says `reject`). */
  decision: "approve" | "deny";
  /** Who decided. */
  by: string;
  /** Why, or null. */
  reason: string | null;
  /** The event. */
  event: Event;
}

/** A paused run, folded from its events. */
export interface PausedRun {
  /** The task (= trace) id: the run. */
  taskId: string;
  /** The trace id. */
  traceId: string;
  /** The approval id the pause is bound to. */
  approvalId: string;
  /** `harness.task.started`'s event id. */
  rootId: string;
  /** The query of the run. */
  query: string;
  /** Tier, tokens and taint when it paused. */
  tier: number;
  /** Tokens spent. */
  tokens: number;
  /** Tainted. */
  tainted: boolean;
  /** The step it paused at. */
  step: number;
  /** The call the verdict is bound to, or null. */
  pending: PendingCallRecord | null;
  /** What asked for a human (`harness.approval.requested`'s reason and detail). */
  reason: string | null;
  /** Its detail. */
  detail: string | null;
  /** The `harness.run.paused` event. */
  paused: Event;
  /** The verdict, when written. */
  resolution: RecordedResolution | null;
  /** What the loop continues from; null for a pause written by an older zu (not resumable). */
  resume: {
    turnId: string;
    callSeq: number;
    messageIndex: number | null;
    messages: Message[];
    finishing: boolean;
    budget: Budget;
  } | null;
  /** Every event of the run up to now, in order. */
  events: Event[];
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function resumeOf(v: unknown): PausedRun["resume"] {
  if (v === null || typeof v !== "object") return null;
  const r = v as Record<string, unknown>;
  if (typeof r.turn_id !== "string" || !Array.isArray(r.messages)) return null;
  if (typeof r.call_seq !== "number" || r.budget === null || typeof r.budget !== "object") {
    return null;
  }
  return {
    turnId: r.turn_id,
    callSeq: r.call_seq,
    messageIndex: typeof r.message_index === "number" ? r.message_index : null,
    messages: r.messages as Message[],
    finishing: r.finishing === true,
    budget: r.budget as Budget,
  };
}

/**
 * The paused run in `events` (one task's events, in log order): the latest `harness.run.paused`
 * after which only verdicts were written. Null when the run is not paused (never paused, resumed,
 * or ended).
 */
export function pausedRunOf(events: readonly Event[]): PausedRun | null {
  let at = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    const t = events[i]!.type;
    if (t === RUN_PAUSED) {
      at = i;
      break;
    }
    if (t !== APPROVAL_RESOLVED) return null;
  }
  if (at < 0) return null;
  const paused = events[at]!;
  const p = paused.payload as Record<string, unknown>;
  const approvalId = str(p.approval_id);
  const root = events.find((e) => e.type === TASK_STARTED);
  if (approvalId === null || root === undefined) return null;
  const asked = events.slice(0, at).reverse().find((e) =>
    e.type === "harness.approval.requested" && e.payload.approval_id === approvalId
  );
  let resolution: RecordedResolution | null = null;
  for (const e of events.slice(at + 1)) {
    if (e.payload.approval_id !== approvalId) continue;
    const d = e.payload.decision;
    if (d !== "approve" && d !== "deny") continue;
    resolution = {
      decision: d,
      by: str(e.payload.by) ?? "",
      reason: str(e.payload.reason),
      event: e,
    };
    break;
  }
  const pend = p.pending as Record<string, unknown> | null | undefined;
  return {
    taskId: paused.task_id,
    traceId: paused.trace_id,
    approvalId,
    rootId: root.event_id,
    query: str(root.payload.query) ?? "",
    tier: typeof p.tier === "number" ? p.tier : 1,
    tokens: typeof p.tokens === "number" ? p.tokens : 0,
    tainted: p.tainted === true,
    step: typeof p.step === "number" ? p.step : 0,
    pending: pend && typeof pend.tool === "string" && typeof pend.idempotency_key === "string"
      ? {
        tool: pend.tool,
        args: (pend.args ?? {}) as Record<string, unknown>,
        idempotency_key: pend.idempotency_key,
      }
      : null,
    reason: str(asked?.payload.reason),
    detail: str(asked?.payload.detail),
    paused,
    resolution,
    resume: resumeOf(p.resume),
    events: [...events],
  };
}

/** True when `events` hold a `harness.run.resumed` for `approvalId`. */
export function wasResumed(events: readonly Event[], approvalId: string): boolean {
  return events.some((e) => e.type === RUN_RESUMED && e.payload.approval_id === approvalId);
}
