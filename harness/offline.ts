/**
 * Offline replay: run an agent against a capture bundle with no model and no network. The model
 * is a scripted provider over the bundle's moves (or the hijacked worst case, or a real provider
 * in `live` mode); `http_fetch`, `render_dom`, `browser`, `shell` and `run_code` are fixture
 * doubles (no network, no Docker); detectors, validators, gates and the event sink (a
 * `MemorySink`) are the real ones.
 *
 * @example
 * ```ts ignore
 * import { loadAgentConfig } from "../agent/config.ts";
 * import { readBundle } from "./bundle.ts";
 * import { replayOffline } from "./offline.ts";
 * const config = await loadAgentConfig("fixtures/agents/shop-price");
 * const out = await replayOffline(config, await readBundle("fixtures/agents/shop-price/fixtures/capture.json"));
 * console.log(out.result.status, out.unused.length);
 * ```
 * @module
 */
import type { Result } from "../core/contracts.ts";
import type { Event } from "../core/events.ts";
import { EventBus } from "../core/bus.ts";
import type { Clock, IdSource, ModelProvider, RunPlugins } from "../core/types.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { runTask } from "../agent/loop.ts";
import {
  type AgentConfig,
  type AssembledRun,
  type AssembleOptions,
  assembleRun,
} from "../agent/config.ts";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import type { Bundle } from "./bundle.ts";
import {
  FixtureState,
  fixtureTools,
  OVERRUN_DETECTOR,
  overrunDetector,
  type UnusedObservation,
} from "./fixture_tools.ts";
import { HijackedProvider, type Injection } from "./hijacked_provider.ts";
import { OracleProvider, readable, TrackingProvider } from "./oracle_provider.ts";
import type { AttackRecord } from "./perturb/attack_record.ts";
import { safeEnv } from "../core/env.ts";
import { ListSink } from "./_list_sink.ts";

/**
 * Who decides the moves: the captured script, the hijacked worst case (obeys instructions a regex
 * recognises), the oracle attacker (obeys every planted attack that reaches it), or a real model.
 */
export type ModelMode = "script" | "hijacked" | "oracle" | "live";

/** The model modes, in order. */
export const MODEL_MODES: readonly ModelMode[] = ["script", "hijacked", "oracle", "live"];

/** Options of {@link replayOffline}. */
export interface ReplayOptions {
  /** `script` (default, zu's), `hijacked` or `live`. */
  mode?: ModelMode;
  /** The real model for `live` mode (required there), or a factory called once per replay. */
  provider?: ModelProvider | (() => ModelProvider);
  /** Options for `assembleRun` when given an `AgentConfig`. */
  assemble?: AssembleOptions;
  /** Environment reader for containment checks. Default: none set. */
  env?: (name: string) => string | undefined;
  /** Time seam. Default: the system clock. */
  clock?: Clock;
  /** Id seam. Default: random uuids. */
  ids?: IdSource;
  /** Cancels the run. */
  signal?: AbortSignal;
  /**
   * Link the events into their trace's hash chain, as the memory sink does. Default true; harden
   * passes false (its variants' events are judged by type and discarded).
   */
  linkEvents?: boolean;
}

/** What an attack achieved in a replay. */
export interface AttackOutcome {
  /** Attacker URLs the run actually reached (past every gate). */
  executed: string[];
  /** Injections the hijacked model obeyed (attempted). */
  obeyed: Injection[];
  /** A planted canary appears in the run's answer. */
  canaryReported: boolean;
  /** The variant's attack records (what was planted). */
  records: AttackRecord[];
  /** Indexes of the records whose planted strings all reached the model. */
  reached: number[];
  /** Indexes of the records the model obeyed (oracle: every one it read; hijacked: by URL). */
  attempted: number[];
  /** The answer as the run returned it (JSON text, "" when none). */
  answer: string;
  /** Indexes of the records whose planted strings were in an observation a tool handed over. */
  delivered: number[];
}

/** The outcome of one offline replay. */
export interface ReplayOutcome {
  /** The run's result. */
  result: Result;
  /** Every event of the run, in order (linked by the memory sink unless `linkEvents: false`). */
  events: Event[];
  /** Recorded observations the run never used. */
  unused: UnusedObservation[];
  /** Fixture overruns and misses (`{tool, message}`), in order. */
  fixtureErrors: { tool: string; message: string }[];
  /** What planted attacks achieved. */
  attack: AttackOutcome;
}

/** Records whose planted strings all sat in observations the run used (or a tool description). */
function deliveredRecords(
  records: readonly AttackRecord[],
  state: FixtureState,
  bundle: Bundle,
): number[] {
  if (records.length === 0) return [];
  const text = [
    ...state.used().map((o) => readable(JSON.stringify(o))),
    ...Object.values(bundle.overlay?.toolDescriptionAppend ?? {}),
    ...Object.values(bundle.overlay?.attack?.pages ?? {}),
  ].join("\n");
  return records.flatMap((r, i) => r.surfaces.every((s) => text.includes(s)) ? [i] : []);
}

/** True when `x` is an already assembled run. */
function isAssembled(x: AgentConfig | AssembledRun): x is AssembledRun {
  return "plugins" in x && "spec" in x && "runOptions" in x;
}

/**
 * Replays `bundle` against an agent (a config, assembled fresh, or an assembled run whose
 * detectors, validators and gates are reused). Never touches the network. A run past the
 * recording ends TERMINAL with reason `fixture-overrun`.
 */
export async function replayOffline(
  agent: AgentConfig | AssembledRun,
  bundle: Bundle,
  options: ReplayOptions = {},
): Promise<ReplayOutcome> {
  const assembled = isAssembled(agent) ? agent : await assembleRun(agent, options.assemble ?? {});
  const mode = options.mode ?? "script";
  const state = new FixtureState(bundle, { match: mode === "live" ? "args" : "order" });
  const records = bundle.overlay?.attack?.records ?? [];
  let provider: ModelProvider;
  let hijacked: HijackedProvider | null = null;
  let oracle: OracleProvider | null = null;
  if (mode === "script") {
    provider = ScriptedProvider.fromMoves(bundle.moves as Record<string, unknown>[]);
  } else if (mode === "hijacked") {
    hijacked = new HijackedProvider(bundle.moves);
    provider = hijacked;
  } else if (mode === "oracle") {
    oracle = new OracleProvider(bundle.moves, records);
    provider = oracle;
  } else {
    if (options.provider === undefined) {
      throw new TypeError('Cannot replay in "live" mode: options.provider is required');
    }
    provider = typeof options.provider === "function" ? options.provider() : options.provider;
  }
  const tracking = oracle === null && records.length > 0
    ? new TrackingProvider(provider, records)
    : null;
  if (tracking !== null) provider = tracking;
  const detectors = new Map(assembled.plugins.detectors);
  detectors.set(OVERRUN_DETECTOR, overrunDetector(state));
  const plugins: RunPlugins = {
    tools: fixtureTools(
      assembled.plugins.tools,
      state,
      bundle.overlay?.toolDescriptionAppend ?? {},
    ),
    detectors,
    validators: assembled.plugins.validators,
    gates: assembled.plugins.gates,
  };
  const bus = new EventBus(options.linkEvents === false ? new ListSink() : new MemorySink());
  try {
    const ro = assembled.runOptions;
    const result = await runTask(assembled.spec, provider, plugins, bus, {
      ...(ro.containment !== undefined ? { containment: ro.containment } : {}),
      ...(ro.maxObservationChars !== undefined
        ? { maxObservationChars: ro.maxObservationChars }
        : {}),
      ...(ro.observationStrategy !== undefined
        ? { observationStrategy: ro.observationStrategy }
        : {}),
      ...(ro.maxContextChars !== undefined ? { maxContextChars: ro.maxContextChars } : {}),
      env: options.env ?? safeEnv,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.ids ? { ids: options.ids } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const events = await bus.query();
    const canaries = bundle.overlay?.attack?.canaries ?? [];
    const answer = result.value === null ? "" : JSON.stringify(result.value);
    return {
      result,
      events,
      unused: state.unused(),
      fixtureErrors: [...state.errors],
      attack: {
        executed: [...state.attackHits],
        obeyed: hijacked ? [...hijacked.obeyed] : [],
        canaryReported: canaries.some((c) => answer.includes(c)),
        records,
        reached: [...(oracle?.tracker ?? tracking?.tracker)?.reached ?? []],
        attempted: oracle
          ? [...oracle.obeyed]
          : records.flatMap((r, i) => hijacked?.obeyed.some((h) => h.url === r.url) ? [i] : []),
        answer,
        delivered: deliveredRecords(records, state, bundle),
      },
    };
  } finally {
    await bus.close();
  }
}
