/**
 * `resumeTask`: continues a run that paused for a human (`harness.run.paused`) once a verdict
 * (`harness.approval.resolved`) is in its log, in this process or another one, after a restart.
 *
 * @example
 * ```ts ignore
 * import { resumeTask } from "./resume.ts";
 * const events = await sink.query({ task_id: runId });
 * const result = await resumeTask(spec, provider, plugins, new EventBus(sink), events);
 * ```
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import type { Result, TaskSpec } from "../core/contracts.ts";
import { UserError } from "../core/errors.ts";
import { type Event, newEvent, RUN_RESUMED, TURN_COMPLETED } from "../core/events.ts";
import type { ModelProvider, RunPlugins } from "../core/types.ts";
import { uuid5 } from "../core/python/mod.ts";
import { jsonClone } from "../core/json_clone.ts";
import { endOnFailure } from "./_ladder.ts";
import { applyVerdict, type ApprovalDecision } from "./_human.ts";
import { modelLoop } from "./_model_loop.ts";
import { Run, sortedMap, systemClock, systemIds } from "./_run.ts";
import { type PausedRun, pausedRunOf } from "./approvals.ts";
import { enforceContainment } from "./security.ts";
import type { RunTaskOptions } from "./loop.ts";

/** Options of {@link resumeTask}. */
export interface ResumeTaskOptions extends RunTaskOptions {
  /**
   * The `harness.run.resumed` event a host already stored (its claim on the resume, made with
   * {@link resumedEventFor}); the run records it instead of emitting its own. `events` must not
   * include it. Default: the run emits and claims it.
   */
  resumed?: Event;
}

/**
 * The `harness.run.resumed` event of `paused`: its id is fixed per approval, so of two resumers
 * appending it only the first one's `resume_id` is stored.
 */
export function resumedEventFor(paused: PausedRun, resumeId: string = crypto.randomUUID()): Event {
  const r = paused.resolution;
  return newEvent({
    event_id: uuid5(paused.traceId, `resumed:${paused.approvalId}`),
    task_id: paused.taskId,
    trace_id: paused.traceId,
    parent_id: paused.rootId,
    type: RUN_RESUMED,
    payload: {
      approval_id: paused.approvalId,
      decision: r?.decision ?? null,
      by: r?.by ?? null,
      resume_id: resumeId,
    },
  });
}

/**
 * Continues the paused run whose events are `events` (its task's, in log order, the verdict
 * included): the state is folded back (root, tier, tokens, taint, call counter, conversation),
 * `harness.run.resumed` is emitted (with who decided), the verdict is applied to the pending call
 * (approve: run it with the gates skipped; reject: `human_denied`) and the model loop goes on at
 * the next step. `spec.task_id` is replaced by the paused run's. The wall-time budget restarts:
 * the time spent paused is not the run's. Throws `UserError("approval_invalid")` when the run is
 * not paused, has no verdict yet, or cannot be resumed.
 */
export async function resumeTask(
  spec: TaskSpec,
  provider: ModelProvider,
  plugins: RunPlugins,
  bus: EventBus,
  events: readonly Event[],
  options: ResumeTaskOptions = {},
): Promise<Result> {
  const paused = pausedRunOf(events);
  const why = paused === null
    ? "the run is not paused"
    : paused.resume === null
    ? "its pause records no resumable state (written by an older zu)"
    : paused.resolution === null
    ? `approval ${paused.approvalId} has no verdict yet`
    : null;
  if (why !== null || paused === null || paused.resume === null || paused.resolution === null) {
    throw new UserError("approval_invalid", `Cannot resume the run: ${why}`);
  }
  const containment = options.containment ?? "audit";
  const tools = sortedMap(plugins.tools);
  enforceContainment(containment, tools, options.env ? { env: options.env } : {});
  const run = new Run({
    spec: { ...spec, task_id: paused.taskId },
    traceId: paused.traceId,
    bus,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? systemIds,
    tools,
    detectors: sortedMap(plugins.detectors),
    validators: sortedMap(plugins.validators),
    gates: sortedMap(plugins.gates),
    signal: options.signal,
  });
  const state = paused.resume;
  run.events.push(...paused.events);
  run.rootId = paused.rootId;
  run.tier = paused.tier;
  run.tokens = paused.tokens;
  run.tainted = paused.tainted;
  run.callSeq = state.callSeq;
  run.turnStart = Math.max(0, run.events.findIndex((e) => e.event_id === state.turnId));
  run.messages.push(...jsonClone(state.messages));
  // A provider that replays a script (ScriptedProvider) skips the moves played before the pause.
  const played = paused.events.filter((e) => e.type === TURN_COMPLETED).length;
  for (const p of new Set([provider, ...(options.providers?.values() ?? [])])) {
    (p as { resumeAfter?: (n: number) => void }).resumeAfter?.(played);
  }
  const r = paused.resolution;
  const decision: ApprovalDecision = {
    decision: r.decision === "approve" ? "approve" : "reject",
    by: r.by,
    reason: r.reason,
  };
  const pendingCall = paused.pending;
  const pending = pendingCall && state.messageIndex !== null
    ? {
      observation: {},
      tool: tools.get(pendingCall.tool),
      idempotencyKey: pendingCall.idempotency_key,
      escalation: null,
      call: { name: pendingCall.tool, args: pendingCall.args },
      messageIndex: state.messageIndex,
    }
    : null;
  const claimed = options.resumed;
  if (claimed !== undefined) {
    const mine = resumedEventFor(paused, String(claimed.payload.resume_id));
    if (claimed.type !== RUN_RESUMED || claimed.event_id !== mine.event_id) {
      throw new UserError(
        "approval_invalid",
        `Cannot resume the run: the claim is not its pause's`,
      );
    }
    run.events.push(claimed);
  } else {
    // One resume per pause: the event id is fixed, so a second resumer's append returns the
    // first one's event (another resume_id) and stops here before running anything.
    const resumeId = run.ids.uuid();
    const resumed = await run.emit(RUN_RESUMED, {
      approval_id: paused.approvalId,
      decision: r.decision,
      by: r.by,
      resume_id: resumeId,
    }, { eventId: uuid5(paused.traceId, `resumed:${paused.approvalId}`) });
    if (resumed.payload.resume_id !== resumeId) {
      throw new UserError("approval_invalid", `Run ${paused.taskId} was already resumed`);
    }
  }
  try {
    const ctx = {
      step: paused.step,
      turnId: state.turnId,
      last: pending,
      options,
      provider,
      finishing: state.finishing,
      budget: state.budget,
    };
    const ended = await applyVerdict(run, { pending }, decision, ctx);
    if (ended !== null) return ended;
    return await modelLoop(run, provider, options, {
      finishing: state.finishing,
      budget: state.budget,
      firstStep: paused.step + 1,
    });
  } catch (err) {
    await endOnFailure(run, err);
    throw err;
  }
}
