/**
 * The model loop of `runTask` (reference §2.5, "Model loop") and its ON_FINAL ladder, shared by
 * a fresh run and a resumed one (`resumeTask`), which enters it at the step after its pause.
 *
 * @module
 */
import type { Budget, Message, Result, ToolCall, Verdict } from "../core/contracts.ts";
import { PluginEscape } from "../core/errors.ts";
import {
  CHECK_CRASHED,
  RECORD_EXTRACTED,
  TASK_COMPLETED,
  TURN_COMPLETED,
  TURN_STARTED,
  VALIDATION_FAILED,
} from "../core/events.ts";
import type { ModelProvider } from "../core/types.ts";
import { invoke } from "./_invoke.ts";
import { climb, type PendingCall, terminal } from "./_ladder.ts";
import { onHalting } from "./_human.ts";
import { boundHistory, completeWithin, shapeForModel, usageTokens } from "./_model_call.ts";
import { parseValue } from "./_parse_value.ts";
import { jsonClone } from "../core/json_clone.ts";
import { errorText, type Run, worst } from "./_run.ts";
import type { RunTaskOptions } from "./loop.ts";

/** The model loop from `state.firstStep` (1, or the step after a resumed pause). */
export async function modelLoop(
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
