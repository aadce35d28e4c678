/**
 * The mutable state of one `runTask` run and the helpers every part of the loop shares: emitting
 * events (parented, sourced, appended before use), the tier ladder, budgets and plugin contexts.
 *
 * @module
 */
import type { Message, TaskSpec, Verdict } from "../core/contracts.ts";
import { severityRank } from "../core/contracts.ts";
import type { EventBus } from "../core/bus.ts";
import { PluginEscape } from "../core/errors.ts";
import {
  CHECK_CRASHED,
  DETECTOR_FIRED,
  type Event,
  newEvent,
  type Payload,
} from "../core/events.ts";
import type {
  Clock,
  Detector,
  DetectorScope,
  IdSource,
  InvocationGate,
  RunContext,
  Tool,
  Validator,
} from "../core/types.ts";
import { codePointCompare } from "../core/python/mod.ts";

/** A real sleep that honours an abort signal. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date(), monotonic: () => performance.now() };
/** crypto.randomUUID ids. */
export const systemIds: IdSource = { uuid: () => crypto.randomUUID() };

/** Sorts a map's entries by key in code-point order (zu runs plugins in sorted name order). */
export function sortedMap<T>(m: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...m.entries()].sort(([a], [b]) => codePointCompare(a, b)));
}

/** The worst verdict; on equal severity the first one wins. */
export function worst(verdicts: readonly Verdict[]): Verdict | null {
  let best: Verdict | null = null;
  for (const v of verdicts) {
    if (best === null || severityRank(v.severity) > severityRank(best.severity)) best = v;
  }
  return best;
}

/** `Cls: message` as Python prints an exception. */
export function errorText(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return `Exception: ${String(err)}`;
  } catch {
    // a thrown value whose name, message or string form itself throws
    return `Exception: ${Object.prototype.toString.call(err)}`;
  }
}

/** Everything the run needs to carry between turns. */
export interface RunInit {
  spec: TaskSpec;
  traceId: string;
  bus: EventBus;
  clock: Clock;
  ids: IdSource;
  tools: Map<string, Tool>;
  detectors: Map<string, Detector>;
  validators: Map<string, Validator>;
  gates: Map<string, InvocationGate>;
  signal: AbortSignal | undefined;
}

/** One run's state. */
export class Run {
  readonly spec: TaskSpec;
  readonly traceId: string;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly tools: Map<string, Tool>;
  readonly detectors: Map<string, Detector>;
  readonly validators: Map<string, Validator>;
  readonly gates: Map<string, InvocationGate>;
  readonly signal: AbortSignal | undefined;
  readonly events: Event[] = [];
  readonly messages: Message[] = [];
  readonly startMs: number;
  wallS: number;
  maxTokens: number;
  rootId: string | null = null;
  tier = 1;
  readonly ceiling: number;
  tokens = 0;
  tainted: boolean;
  callSeq = 0;
  turnStart = 0;

  constructor(init: RunInit) {
    this.spec = init.spec;
    this.traceId = init.traceId;
    this.bus = init.bus;
    this.clock = init.clock;
    this.ids = init.ids;
    this.tools = init.tools;
    this.detectors = init.detectors;
    this.validators = init.validators;
    this.gates = init.gates;
    this.signal = init.signal;
    this.startMs = init.clock.monotonic();
    this.wallS = init.spec.budget.wall_time_s;
    this.maxTokens = init.spec.budget.max_tokens;
    this.tainted = init.spec.tainted;
    let maxToolTier = 1;
    for (const t of init.tools.values()) maxToolTier = Math.max(maxToolTier, t.tier ?? 1);
    this.ceiling = Math.min(init.spec.max_tier, maxToolTier);
  }

  /** Publishes an event and records the stored copy. */
  async emit(
    type: string,
    payload: Payload,
    options: { parent?: string | null; source?: string; eventId?: string } = {},
  ): Promise<Event> {
    const e = newEvent(
      {
        ...(options.eventId ? { event_id: options.eventId } : {}),
        task_id: this.spec.task_id,
        trace_id: this.traceId,
        type,
        payload,
        parent_id: options.parent === undefined ? this.rootId : options.parent,
        source: options.source ?? "loop",
      },
      { now: () => this.clock.now(), uuid: () => this.ids.uuid() },
    );
    const stored = await this.bus.publish(e);
    this.events.push(stored);
    return stored;
  }

  /** Tools visible at the current tier (none when quarantined). */
  active(): Map<string, Tool> {
    if (this.spec.quarantined) return new Map();
    return new Map([...this.tools].filter(([, t]) => (t.tier ?? 1) <= this.tier));
  }

  /** Elapsed wall time in milliseconds. */
  elapsedMs(): number {
    return this.clock.monotonic() - this.startMs;
  }

  /** Milliseconds left of the wall-time budget (never negative). */
  remainingMs(): number {
    return Math.max(0, this.wallS * 1000 - this.elapsedMs());
  }

  /** The budget reason the run must stop for, or null. */
  budgetExceeded(): string | null {
    if (this.elapsedMs() > this.wallS * 1000) return "budget:wall_time_s";
    if (this.tokens >= this.maxTokens) return "budget:max_tokens";
    return null;
  }

  /** A context for a plugin. `turnScoped` limits `events` to the current turn. */
  context(
    observation: Record<string, unknown> | null,
    turnScoped: boolean,
    extra: Partial<RunContext> = {},
  ): RunContext {
    return {
      spec: this.spec,
      observation,
      events: turnScoped ? this.events.slice(this.turnStart) : this.events.slice(),
      tainted: this.tainted,
      mode: this.spec.mode,
      quarantined: this.spec.quarantined,
      trace_id: this.traceId,
      ...(this.signal ? { signal: this.signal } : {}),
      ...extra,
    };
  }

  /** Runs the detectors of one scope in sorted order; emits detector.fired per verdict. */
  async runDetectors(
    scope: DetectorScope,
    observation: Record<string, unknown> | null,
    parent: string | null,
  ): Promise<Verdict[]> {
    const out: Verdict[] = [];
    for (const [name, d] of this.detectors) {
      if (d.scope !== scope) continue;
      let v: Verdict | null;
      try {
        v = await d.inspect(this.context(observation, scope !== "on_final"));
      } catch (err) {
        if (err instanceof PluginEscape) {
          throw new PluginEscape(`Detector "${name}" stopped the run: ${err.message}`, {
            cause: err,
          });
        }
        await this.emit(CHECK_CRASHED, {
          kind: "detector",
          name,
          error: errorText(err),
          checkpoint: scope,
        }, { parent });
        continue;
      }
      if (v === null || v === undefined) continue;
      out.push(v);
      if (scope !== "on_final") {
        const payload: Record<string, unknown> = {
          detector: v.detector,
          severity: v.severity,
          detail: v.detail ?? null,
        };
        if (v.kind !== undefined && v.kind !== null) payload.kind = v.kind;
        await this.emit(DETECTOR_FIRED, payload, { parent, source: v.detector });
      }
    }
    return out;
  }
}
