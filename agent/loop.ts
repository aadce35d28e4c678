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
import type { Budget, Result, TaskSpec } from "../core/contracts.ts";
import {
  CONTAINMENT_ATTESTED,
  DEFENSE_BLOCKED,
  ENVELOPE_DECLARED,
  RAIL_VERIFIED,
  TASK_STARTED,
} from "../core/events.ts";
import type { Clock, IdSource, ModelProvider, RunPlugins, Tool } from "../core/types.ts";
import { endOnFailure, terminal } from "./_ladder.ts";
import type { Approver } from "./_human.ts";
import { shapeForModel, systemMessage, userMessage } from "./_model_call.ts";
import { modelLoop } from "./_model_loop.ts";
import { replayTrack } from "./_replay.ts";
import { realSleep, Run, sortedMap, systemClock, systemIds } from "./_run.ts";
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
export { resumeTask } from "./resume.ts";

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
