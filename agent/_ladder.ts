/**
 * How a run ends or moves on the tier ladder: terminal, climb one tier (or exhaust), and pause
 * for a human bound to the pending call.
 *
 * @module
 */
import type { Budget, Result, ToolCall, Verdict } from "../core/contracts.ts";
import { jsonClone } from "../core/json_clone.ts";
import { RunFailure, UserError } from "../core/errors.ts";
import { failureEvent } from "../core/failure_event.ts";
import { APPROVAL_REQUESTED, RUN_PAUSED, TASK_ESCALATED, TASK_TERMINAL } from "../core/events.ts";
import type { Invocation } from "./_invoke.ts";
import { uuid5 } from "../core/python/mod.ts";
import type { Run } from "./_run.ts";

/** Ends the run terminal with `reason`. */
export async function terminal(run: Run, reason: string): Promise<Result> {
  await run.emit(TASK_TERMINAL, { reason });
  return { status: "terminal", value: null, reason };
}

/**
 * Writes the terminal event of a run that `err` ends (a `RunFailure` such as a model API that is
 * down, or a `UserError` such as a rejected key): reason `error:<code>` and the message. A bug
 * writes nothing, and nor does a run that already ended; a failing sink never hides `err`.
 */
export async function endOnFailure(run: Run, err: unknown): Promise<void> {
  if (!(err instanceof RunFailure || err instanceof UserError)) return;
  if (failureEvent(run.events, err) === null) return;
  try {
    await run.emit(TASK_TERMINAL, { reason: `error:${err.code}`, error: err.message });
  } catch {
    // the caller rethrows err, which says more than a sink that also failed
  }
}

/** Climbs one tier for `verdict`, or ends ESCALATE when there is no headroom. */
export async function climb(run: Run, verdict: Verdict): Promise<Result | null> {
  if (run.tier >= run.ceiling) {
    await run.emit(TASK_ESCALATED, { reason: verdict.detector, tier: run.tier, exhausted: true });
    return { status: "escalate", value: null, reason: verdict.detector };
  }
  const before = run.active();
  const from = run.tier;
  run.tier += 1;
  await run.emit(TASK_ESCALATED, {
    reason: verdict.detector,
    detail: verdict.detail ?? null,
    from_tier: from,
    to_tier: run.tier,
  }, { source: verdict.detector });
  const unlocked = [...run.active().entries()].filter(([n]) => !before.has(n))
    .map(([, t]) => t.prompt_fragment).filter((f): f is string =>
      typeof f === "string" && f !== ""
    );
  run.messages.push({
    role: "user",
    content: `Escalated to tier ${run.tier} (${verdict.detector}: ${
      verdict.detail ?? ""
    }). Newly available tools:\n${unlocked.map((f) => `- ${f}`).join("\n")}`,
  });
  return null;
}

/** The call a human verdict is bound to: the last dispatched call and its tool message. */
export type PendingCall = Invocation & { call: ToolCall; messageIndex: number };

/** An approval asked for: its id and what it is bound to. */
export interface ApprovalAsk {
  /** `uuid5(trace_id, "approval:" + idempotency key)` (a later round on the same call adds `#n`). */
  approvalId: string;
  /** The call the verdict is bound to, or null (no call dispatched this turn). */
  pending: PendingCall | null;
  /** The step the run paused at. */
  step: number;
  /** The `harness.turn.started` event of that step. */
  turnId: string;
}

/** Emits `harness.approval.requested` for `verdict`, bound to `pending` (the last dispatched call). */
export async function requestApproval(
  run: Run,
  verdict: Verdict,
  step: number,
  turnId: string,
  pending: PendingCall | null,
): Promise<ApprovalAsk> {
  const idem = pending?.idempotencyKey ?? `step:${step}`;
  let approvalId = uuid5(run.traceId, `approval:${idem}`);
  const earlier =
    run.events.filter((e) =>
      e.type === APPROVAL_REQUESTED && String(e.payload.approval_id ?? "").startsWith(approvalId)
    ).length;
  if (earlier > 0) approvalId = uuid5(run.traceId, `approval:${idem}#${earlier}`);
  await run.emit(APPROVAL_REQUESTED, {
    approval_id: approvalId,
    tool: pending?.call.name ?? null,
    args: pending?.call.args ?? null,
    idempotency_key: pending?.idempotencyKey ?? null,
    reason: verdict.detector,
    detail: verdict.detail ?? null,
  });
  return { approvalId, pending, step, turnId };
}

/**
 * Emits `harness.run.paused` for `ask`: besides zu's fields, `resume` carries what the loop needs
 * to continue in another process (the conversation, the call counter, the budget).
 */
export async function pause(
  run: Run,
  ask: ApprovalAsk,
  loop: { finishing: boolean; budget: Budget },
): Promise<Result> {
  const { pending } = ask;
  await run.emit(RUN_PAUSED, {
    approval_id: ask.approvalId,
    tier: run.tier,
    tokens: run.tokens,
    tainted: run.tainted,
    step: ask.step,
    pending: pending
      ? {
        tool: pending.call.name,
        args: pending.call.args,
        idempotency_key: pending.idempotencyKey,
      }
      : null,
    resume: {
      turn_id: ask.turnId,
      call_seq: run.callSeq,
      message_index: pending?.messageIndex ?? null,
      messages: jsonClone(run.messages),
      finishing: loop.finishing,
      budget: { ...loop.budget },
    },
  });
  return { status: "paused", value: null, reason: ask.approvalId };
}
