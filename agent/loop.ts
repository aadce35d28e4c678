/**
 * `runTask`: zu's agent loop (reference §2.5). Budgets, the tier ladder, detectors and validators,
 * the per-call pipeline, model-facing shaping, containment and track replay, every step written
 * to the event log through the bus.
 *
 * @example
 * ```ts
 * import { runTask } from "./loop.ts";
 * import { ScriptedProvider } from "./providers/scripted.ts";
 * import { EventBus } from "../core/bus.ts";
 * import { MemorySink } from "../sinks/memory/mod.ts";
 * import { newTaskSpec } from "../core/contracts.ts";
 * const bus = new EventBus(new MemorySink());
 * const provider = ScriptedProvider.fromMoves([{ text: '{"answer": 42}' }]);
 * const plugins = { tools: new Map(), detectors: new Map(), validators: new Map(), gates: new Map() };
 * const result = await runTask(newTaskSpec({ query: "What is the answer?" }), provider, plugins, bus);
 * console.assert(result.status === "success" && result.value?.answer === 42);
 * ```
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import type { Budget, Message, Result, TaskSpec, ToolCall, Verdict } from "../core/contracts.ts";
import { PluginEscape, UserError } from "../core/errors.ts";
import {
  CHECK_CRASHED,
  CONTAINMENT_ATTESTED,
  DEFENSE_BLOCKED,
  ENVELOPE_DECLARED,
  type Event,
  RAIL_VERIFIED,
  RECORD_EXTRACTED,
  RUN_RESUMED,
  TASK_COMPLETED,
  TASK_STARTED,
  TURN_COMPLETED,
  TURN_STARTED,
  VALIDATION_FAILED,
} from "../core/events.ts";
import type { Clock, IdSource, ModelProvider, RunPlugins, Tool } from "../core/types.ts";
import { invoke } from "./_invoke.ts";
import { climb, endOnFailure, type PendingCall, terminal } from "./_ladder.ts";
import { applyVerdict, type ApprovalDecision, type Approver, onHalting } from "./_human.ts";
import { pausedRunOf } from "./approvals.ts";
import { uuid5 } from "../core/python/mod.ts";
import {
  boundHistory,
  completeWithin,
  shapeForModel,
  systemMessage,
  usageTokens,
  userMessage,
} from "./_model_call.ts";
import { parseValue } from "./_parse_value.ts";
import { jsonClone } from "../core/json_clone.ts";
import { replayTrack } from "./_replay.ts";
import { errorText, realSleep, Run, sortedMap, systemClock, systemIds, worst } from "./_run.ts";
import {
  containmentBasis,
  type ContainmentPolicy,
  enforceContainment,
  type EnvReader,
} from "./security.ts";
import type { Track } from "./track.ts";
import type { Sleep } from "../core/types.ts";

export type { Sleep } from "../core/types.ts";
export { SYSTEM_PROMPT } from "./_model_call.ts";

/** Options of {@link runTask}; every field has a documented default. */
export interface RunTaskOptions {
  /** Provider per tier; the tier's provider wins over the global one. Default none. */
  providers?: ReadonlyMap<number, ModelProvider>;
  /** `audit` (default) or `required`. */
  containment?: ContainmentPolicy;
  /** Trace id. Default: the task id. */
  traceId?: string;
  /** Cap of each content field the model sees. Default: no cap. */
  maxObservationChars?: number | null;
  /** Bound on the history's characters; older tool messages become recall stubs. Default: none. */
  maxContextChars?: number | null;
  /** `truncate` (default) or `extract` (one provider call per chunk, at most 16). */
  observationStrategy?: "truncate" | "extract";
  /** A recorded track to replay first when it matches the task. Default none. */
  track?: Track | null;
  /** Replaces the budget while a track is replayed. Default: the spec's budget. */
  replayBudget?: Budget | null;
  /** Cheaper model that finishes after a clean replay. Default: the normal provider. */
  finishProvider?: ModelProvider | null;
  /** When set, replay waits follow the recorded gaps plus this log-normal jitter (live run); else waits are capped at 3000 ms (offline). Default 0. */
  replayJitterMedianMs?: number;
  /** Refuse to replay a track whose content hash differs. Default: no check. */
  approvedRailHash?: string | null;
  /** Time seam. Default: the system clock. */
  clock?: Clock;
  /** Id seam. Default: `crypto.randomUUID`. */
  ids?: IdSource;
  /** Sleep seam used by replay waits. Default: a real timer. */
  sleep?: Sleep;
  /** Environment seam for containment. Default: `Deno.env.get`. */
  env?: EnvReader;
  /** Cancels the run (model calls and tool calls see it). */
  signal?: AbortSignal;
  /**
   * Answers a human approval inline (the run never pauses when it decides). Default none: the
   * run pauses (`harness.run.paused`) and {@link resumeTask} continues it after a verdict.
   */
  approver?: Approver;
}

/**
 * Runs one task to a {@link Result}, following zu's loop exactly. Throws `ContainmentRequired`
 * (before any event) when `containment` is `required` and the run is not sandboxed.
 */
export async function runTask(
  spec: TaskSpec,
  provider: ModelProvider,
  plugins: RunPlugins,
  bus: EventBus,
  options: RunTaskOptions = {},
): Promise<Result> {
  const containment = options.containment ?? "audit";
  const tools = sortedMap(plugins.tools);
  enforceContainment(containment, tools, options.env ? { env: options.env } : {});
  const run = new Run({
    spec,
    traceId: options.traceId ?? spec.task_id,
    bus,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? systemIds,
    tools,
    detectors: sortedMap(plugins.detectors),
    validators: sortedMap(plugins.validators),
    gates: sortedMap(plugins.gates),
    signal: options.signal,
  });

  const root = await run.emit(TASK_STARTED, {
    query: spec.query,
    target: spec.target,
    tainted: spec.tainted,
    mode: spec.mode,
  }, { parent: null });
  run.rootId = root.event_id;
  try {
    return await afterStart(run, spec, provider, tools, containment, options);
  } catch (err) {
    await endOnFailure(run, err);
    throw err;
  }
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
  options: RunTaskOptions = {},
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

/** The run after `harness.task.started`: envelope, containment, track replay, the model loop. */
async function afterStart(
  run: Run,
  spec: TaskSpec,
  provider: ModelProvider,
  tools: Map<string, Tool>,
  containment: ContainmentPolicy,
  options: RunTaskOptions,
): Promise<Result> {
  const envelope: Record<string, unknown> = {};
  for (const [name, t] of tools) {
    envelope[name] = {
      tier: t.tier ?? 1,
      capabilities: [...(t.capabilities ?? [])].sort(),
      egress: [...(t.egress ?? [])].sort(),
    };
  }
  await run.emit(
    ENVELOPE_DECLARED,
    spec.quarantined ? { tools: envelope, quarantined: true } : { tools: envelope },
  );
  if (containment === "required") {
    await run.emit(
      CONTAINMENT_ATTESTED,
      { ...containmentBasis(containment, options.env ? { env: options.env } : {}) },
    );
  }

  run.messages.push({ role: "system", content: systemMessage(run.active()) });
  run.messages.push({ role: "user", content: userMessage(spec) });

  let finishing = false;
  let budget = spec.budget;
  const track = options.track ?? null;
  if (track !== null && track.matches(spec.query) && track.steps.length > 0) {
    if (options.replayBudget) {
      budget = options.replayBudget;
      run.wallS = options.replayBudget.wall_time_s;
      run.maxTokens = options.replayBudget.max_tokens;
    }
    const approved = options.approvedRailHash ?? null;
    if (approved !== null) {
      const hash = track.contentHash();
      if (hash !== approved) {
        await run.emit(DEFENSE_BLOCKED, {
          kind: "rail_unapproved",
          tool: null,
          detail: `track content hash ${hash} is not the approved ${approved}`,
        });
        return terminal(run, "rail.unapproved");
      }
      await run.emit(RAIL_VERIFIED, { rail_hash: hash });
    }
    const replay = await replayTrack(run, track, {
      sleep: options.sleep ?? realSleep,
      jitterMedianMs: options.replayJitterMedianMs ?? 0,
      shape: (inv) => shapeForModel(run, inv, options, provider),
    });
    if (replay.clean) {
      run.messages.push({
        role: "user",
        content:
          "The recorded steps were replayed above. Extract the answer from this history now; do not navigate again. Return the final answer as a single JSON object.",
      });
      finishing = true;
    }
  }
  return modelLoop(run, provider, options, { finishing, budget, firstStep: 1 });
}

/** The model loop from `state.firstStep` (1, or the step after a resumed pause). */
async function modelLoop(
  run: Run,
  provider: ModelProvider,
  options: RunTaskOptions,
  state: { finishing: boolean; budget: Budget; firstStep: number },
): Promise<Result> {
  const { finishing, budget } = state;
  for (let step = state.firstStep; step <= budget.max_steps; step++) {
    run.signal?.throwIfAborted();
    const over = run.budgetExceeded();
    if (over !== null) return terminal(run, over);
    const chosen = finishing && options.finishProvider
      ? options.finishProvider
      : options.providers?.get(run.tier) ?? provider;
    const turn = await run.emit(TURN_STARTED, { step });
    run.turnStart = run.events.length - 1;
    const active = run.active();
    const response = await completeWithin(run, chosen, {
      messages: boundHistory(run.messages, options.maxContextChars ?? null),
      tools: [...active.values()].map((t) => ({ ...t.schema })),
      params: {},
    });
    if (response === null) return terminal(run, "budget:wall_time_s");
    const usage = response.usage ?? {};
    run.tokens += usageTokens(usage);
    await run.emit(TURN_COMPLETED, {
      step,
      tier: run.tier,
      model: chosen.model,
      usage,
      text: response.text ?? null,
    }, { parent: turn.event_id });
    const after = run.budgetExceeded();
    if (after !== null) return terminal(run, after);
    if (response.finish === "length") return terminal(run, "model truncated (length)");

    const calls = response.tool_calls ?? [];
    if (calls.length > 0) {
      if (calls.length > budget.max_tool_calls) return terminal(run, "budget:max_tool_calls");
      const assistant: Message = {
        role: "assistant",
        tool_calls: calls.map((c) => ({ name: c.name, args: c.args })),
      };
      if (response.text) assistant.content = response.text;
      run.messages.push(assistant);
      let halting: Verdict | null = null;
      let last: PendingCall | null = null;
      let lastObs: Record<string, unknown> | null = null;
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i] as ToolCall;
        if (halting !== null) {
          run.messages.push({
            role: "tool",
            name: call.name,
            content: JSON.stringify({
              skipped: `not run: ${halting.detector} (${halting.severity})`,
            }),
          });
          continue;
        }
        const inv = await invoke(run, turn.event_id, call.name, call.args ?? {});
        last = { ...inv, call, messageIndex: run.messages.length };
        lastObs = inv.observation;
        run.messages.push({
          role: "tool",
          name: call.name,
          content: await shapeForModel(run, inv, options, chosen),
        });
        const verdicts = inv.escalation ? [inv.escalation] : [];
        verdicts.push(...await run.runDetectors("per_observation", inv.observation, turn.event_id));
        halting = worst(
          verdicts.filter((v) => v.severity === "escalate" || v.severity === "terminal"),
        );
      }
      if (halting === null) {
        const turnVerdicts = await run.runDetectors("per_turn", lastObs, turn.event_id);
        halting = worst(
          turnVerdicts.filter((v) => v.severity === "escalate" || v.severity === "terminal"),
        );
      }
      if (halting !== null) {
        const ended = await onHalting(run, halting, {
          step,
          turnId: turn.event_id,
          last,
          options,
          provider,
          finishing,
          budget,
        });
        if (ended !== null) return ended;
      }
      continue;
    }

    // Finalise.
    const text = response.text;
    if (text === null || text === undefined || text.trim() === "") {
      return terminal(run, "model finalised with no answer");
    }
    run.messages.push({ role: "assistant", content: text });
    const value = parseValue(text);
    const verdict = await onFinal(run, value);
    if (verdict !== null) {
      await run.emit(VALIDATION_FAILED, {
        detector: verdict.detector,
        severity: verdict.severity,
        detail: verdict.detail ?? null,
      }, { source: verdict.detector });
      if (verdict.severity === "terminal" || verdict.severity === "deny") {
        return terminal(run, verdict.detector);
      }
      if (verdict.severity === "escalate") {
        const ended = await climb(run, verdict);
        if (ended !== null) return ended;
        continue;
      }
      if (verdict.severity === "retry") {
        run.messages.push({
          role: "user",
          content: `Validation failed (${verdict.detector}): ${
            verdict.detail ?? ""
          }. Correct the output and resubmit.`,
        });
        continue;
      }
    }
    await run.emit(RECORD_EXTRACTED, { value: jsonClone(value) });
    await run.emit(TASK_COMPLETED, { value: jsonClone(value) });
    return { status: "success", value, reason: null };
  }
  return terminal(run, "budget:max_steps");
}

/** The ON_FINAL ladder: on_final detectors, then validators (sorted), worst verdict. */
async function onFinal(run: Run, value: Record<string, unknown>): Promise<Verdict | null> {
  const verdicts = await run.runDetectors("on_final", value, run.rootId);
  for (const [name, v] of run.validators) {
    try {
      const verdict = await v.check(value, run.context(value, false));
      if (verdict) verdicts.push(verdict);
    } catch (err) {
      if (err instanceof PluginEscape) {
        throw new PluginEscape(`Validator "${name}" stopped the run: ${err.message}`, {
          cause: err,
        });
      }
      await run.emit(CHECK_CRASHED, {
        kind: "validator",
        name,
        error: errorText(err),
        checkpoint: "on_final",
      });
    }
  }
  return worst(verdicts);
}
