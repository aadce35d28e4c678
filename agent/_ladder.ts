/**
 * How a run ends or moves on the tier ladder: terminal, climb one tier (or exhaust), and pause
 * for a human bound to the pending call.
 *
 * @module
 */
import type { Result, ToolCall, Verdict } from "../core/contracts.ts";
import { APPROVAL_REQUESTED, RUN_PAUSED, TASK_ESCALATED, TASK_TERMINAL } from "../core/events.ts";
import type { Invocation } from "./_invoke.ts";
import { uuid5 } from "../core/python/mod.ts";
import type { Run } from "./_run.ts";

/** Ends the run terminal with `reason`. */
export async function terminal(run: Run, reason: string): Promise<Result> {
  await run.emit(TASK_TERMINAL, { reason });
  return { status: "terminal", value: null, reason };
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

/** Pauses for a human, bound to `pending` (the last dispatched call). */
export async function pause(
  run: Run,
  verdict: Verdict,
  step: number,
  pending: Invocation & { call: ToolCall } | null,
): Promise<Result> {
  const idem = pending?.idempotencyKey ?? `step:${step}`;
  const approvalId = uuid5(run.traceId, `approval:${idem}`);
  await run.emit(APPROVAL_REQUESTED, {
    approval_id: approvalId,
    tool: pending?.call.name ?? null,
    args: pending?.call.args ?? null,
    idempotency_key: pending?.idempotencyKey ?? null,
    reason: verdict.detector,
    detail: verdict.detail ?? null,
  });
  await run.emit(RUN_PAUSED, {
    approval_id: approvalId,
    tier: run.tier,
    tokens: run.tokens,
    tainted: run.tainted,
    step,
    pending: pending
      ? {
        tool: pending.call.name,
        args: pending.call.args,
        idempotency_key: pending.idempotencyKey,
      }
      : null,
  });
  return { status: "paused", value: null, reason: approvalId };
}
