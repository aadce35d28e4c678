/**
 * What the loop does with a halting verdict (terminal, a human's approval, a tier climb), and what
 * a human's verdict does to the call it is bound to: approve runs exactly that call once more with
 * the gates skipped (`approved_by_human`); reject blocks it (`human_denied`). Both replace the
 * call's tool message, so the model sees the call's real outcome or the refusal.
 *
 * @module
 */
import type { Budget, Result, Verdict } from "../core/contracts.ts";
import type { ModelProvider } from "../core/types.ts";
import { APPROVAL_RESOLVED, DEFENSE_BLOCKED } from "../core/events.ts";
import { invoke } from "./_invoke.ts";
import {
  type ApprovalAsk,
  climb,
  pause,
  type PendingCall,
  requestApproval,
  terminal,
} from "./_ladder.ts";
import { shapeForModel, type ShapingOptions } from "./_model_call.ts";
import { type Run, worst } from "./_run.ts";

/** A human's verdict on a paused run. */
export interface ApprovalDecision {
  /** Run the pending call (`approve`) or refuse it (`reject`). */
  decision: "approve" | "reject";
  /** Who decided (an operator name, `cli:<user>`). */
  by: string;
  /** Why; a rejection's reason is what the model reads. Default none. */
  reason?: string | null;
}

/** What the run asks a human about. */
export interface ApprovalRequest {
  /** The approval id. */
  approval_id: string;
  /** The pending call's tool, or null. */
  tool: string | null;
  /** The pending call's arguments, or null. */
  args: Record<string, unknown> | null;
  /** The detector or gate that asked. */
  reason: string;
  /** Its detail. */
  detail: string | null;
}

/**
 * Answers an approval inline (an uninterrupted run): a decision continues the run at once; null
 * pauses it (`harness.run.paused`) for a verdict given later, from the log.
 */
export type Approver = (request: ApprovalRequest) => Promise<ApprovalDecision | null>;

/** The loop's state a verdict needs. */
export interface HaltContext {
  /** The step. */
  step: number;
  /** The step's `harness.turn.started` id. */
  turnId: string;
  /** The last dispatched call, with its tool message index. */
  last: PendingCall | null;
  /** Shaping options and the approver. */
  options: ShapingOptions & { approver?: Approver; providers?: ReadonlyMap<number, ModelProvider> };
  /** The default provider. */
  provider: ModelProvider;
  /** Whether a finish provider is in use. */
  finishing: boolean;
  /** The loop's budget. */
  budget: Budget;
}

/** The `harness.approval.resolved` payload of `decision` on the approval `approvalId`. */
export function resolutionPayload(
  approvalId: string,
  idempotencyKey: string | null,
  decision: ApprovalDecision,
): Record<string, unknown> {
  return {
    approval_id: approvalId,
    decision: decision.decision === "approve" ? "approve" : "deny",
    by: decision.by,
    reason: decision.reason ?? null,
    idempotency_key: idempotencyKey,
  };
}

/** Acts on a halting verdict: terminal ends, `kind: "human"` asks a human, else climbs a tier. */
export async function onHalting(
  run: Run,
  halting: Verdict,
  ctx: HaltContext,
): Promise<Result | null> {
  if (halting.severity === "terminal") return terminal(run, halting.detector);
  if (halting.kind !== "human") return await climb(run, halting);
  const ask = await requestApproval(run, halting, ctx.step, ctx.turnId, ctx.last);
  const approver = ctx.options.approver;
  const decision = approver
    ? await approver({
      approval_id: ask.approvalId,
      tool: ask.pending?.call.name ?? null,
      args: ask.pending?.call.args ?? null,
      reason: halting.detector,
      detail: halting.detail ?? null,
    })
    : null;
  if (decision === null) return pause(run, ask, ctx);
  await run.emit(
    APPROVAL_RESOLVED,
    resolutionPayload(ask.approvalId, ask.pending?.idempotencyKey ?? null, decision),
  );
  return await applyVerdict(run, ask, decision, ctx);
}

/**
 * Applies a human's verdict to the call `ask` is bound to, then runs the checks that follow a
 * call (per observation, per turn) and acts on a halting verdict, as the loop would.
 */
export async function applyVerdict(
  run: Run,
  ask: Pick<ApprovalAsk, "pending">,
  decision: ApprovalDecision,
  ctx: HaltContext,
): Promise<Result | null> {
  const pending = ask.pending;
  if (pending === null) {
    if (decision.decision === "approve") return null;
    const detail = decision.reason ?? `rejected by ${decision.by}`;
    await run.emit(DEFENSE_BLOCKED, { kind: "human_denied", tool: null, detail }, {
      parent: ctx.turnId,
    });
    run.messages.push({ role: "user", content: `A human refused to continue: ${detail}` });
    return null;
  }
  const chosen = ctx.options.providers?.get(run.tier) ?? ctx.provider;
  const name = pending.call.name;
  let inv;
  if (decision.decision === "approve") {
    inv = await invoke(run, ctx.turnId, name, pending.call.args ?? {}, {
      key: pending.idempotencyKey,
      by: decision.by,
      reason: decision.reason ?? null,
    });
  } else {
    const detail = decision.reason ?? `rejected by ${decision.by}`;
    await run.emit(DEFENSE_BLOCKED, { kind: "human_denied", tool: name, detail }, {
      parent: ctx.turnId,
      source: name,
    });
    inv = {
      observation: { error: `human denied: ${detail}`, blocked: "human_denied" },
      tool: pending.tool,
      idempotencyKey: pending.idempotencyKey,
      escalation: null,
    };
  }
  run.messages[pending.messageIndex] = {
    role: "tool",
    name,
    content: await shapeForModel(run, inv, ctx.options, chosen),
  };
  const verdicts = inv.escalation ? [inv.escalation] : [];
  if (decision.decision === "approve") {
    verdicts.push(...await run.runDetectors("per_observation", inv.observation, ctx.turnId));
  }
  let halting = worst(
    verdicts.filter((v) => v.severity === "escalate" || v.severity === "terminal"),
  );
  if (halting === null) {
    const turn = await run.runDetectors("per_turn", inv.observation, ctx.turnId);
    halting = worst(turn.filter((v) => v.severity === "escalate" || v.severity === "terminal"));
  }
  if (halting === null) return null;
  return await onHalting(run, halting, {
    ...ctx,
    last: { ...inv, call: pending.call, messageIndex: pending.messageIndex },
  });
}
