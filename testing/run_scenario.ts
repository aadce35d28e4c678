/**
 * `runScenario(dir)`: runs one zu compat loop scenario (`scenario.json`) through {@link runTask}
 * with a scripted provider, the scenario's fixture tools, zu's built-in checks and an in-memory
 * sink, and returns the Result and the events.
 *
 * @example
 * ```ts ignore
 * import { runScenario } from "./run_scenario.ts";
 * const { result, events } = await runScenario("../shared/compat/loop/s01_success");
 * console.assert(result.status === "success" && events[0]?.type === "harness.task.started");
 * ```
 * @module
 */
import { EventBus } from "../core/bus.ts";
import type { Result, TaskSpec } from "../core/contracts.ts";
import { DEFAULT_BUDGET } from "../core/contracts.ts";
import { SecurityBlock } from "../core/errors.ts";
import type { Event } from "../core/events.ts";
import { parseJson } from "../core/json.ts";
import type { Detector, RunContext, Tool, Validator } from "../core/types.ts";
import { builtinDetectors, builtinValidators } from "../agent/checks/mod.ts";
import { runTask, type RunTaskOptions } from "../agent/loop.ts";
import { pyStrRepr as pyReprString } from "../core/python/mod.ts";
import { jsonClone } from "../core/json_clone.ts";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import { MemorySink } from "../sinks/memory/mod.ts";

/** A scenario tool as `scenario.json` describes it. */
export interface ScenarioToolSpec {
  /** Tier. Default 1. */
  tier?: number;
  /** Capability tokens. Default none. */
  capabilities?: string[];
  /** Egress hosts. Default none. */
  egress?: string[];
  /** Schema description. */
  description?: string;
  /** System-prompt line. */
  prompt_fragment?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
  /** `{kind: fixed | by_arg | sequence | raise | security_block | oversized, ...}`. */
  behaviour: Record<string, unknown>;
}

/** What {@link runScenario} returns. */
export interface ScenarioRun {
  /** The run's result. */
  result: Result;
  /** Every event, in append order (linked copies). */
  events: Event[];
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Extra options passed to `runTask` (seams, shaping, ...). */
  runOptions?: RunTaskOptions;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** An exception whose `name` is the Python class name zu would print. */
function pythonError(cls: string, message: string): Error {
  const name = cls.split(".").pop() ?? cls;
  // str(KeyError("k")) is the repr of the key.
  const err = new Error(name === "KeyError" ? pyReprString(message) : message);
  err.name = name;
  return err;
}

/** Builds a fixture tool from its scenario description. */
export function scenarioTool(name: string, spec: ScenarioToolSpec): Tool {
  const b = spec.behaviour;
  if (!isObject(b) || typeof b.kind !== "string") {
    throw new TypeError(`Cannot build scenario tool "${name}": "behaviour.kind" is missing`);
  }
  let calls = 0;
  const behave = (args: Record<string, unknown>): Record<string, unknown> => {
    calls++;
    switch (b.kind) {
      case "fixed":
        return jsonClone(b.observation as Record<string, unknown>);
      case "by_arg": {
        const key = args[String(b.arg)];
        const table = (b.table ?? {}) as Record<string, Record<string, unknown>>;
        const hit = typeof key === "string" && Object.hasOwn(table, key) ? table[key] : undefined;
        return jsonClone(hit ?? (b.default as Record<string, unknown>));
      }
      case "sequence": {
        const list = (b.observations ?? []) as Record<string, unknown>[];
        const o = calls <= list.length ? list[calls - 1] : b.overrun;
        return jsonClone(o as Record<string, unknown>);
      }
      case "raise":
        throw pythonError(String(b.error_class), String(b.message ?? ""));
      case "security_block":
        throw new SecurityBlock(String(b.message ?? ""), {
          kind: String(b.block_kind ?? "blocked"),
          target: typeof b.target === "string" ? b.target : null,
        });
      case "oversized": {
        const obs = jsonClone((b.observation ?? {}) as Record<string, unknown>);
        obs[String(b.fill_key)] = String(b.fill_char).repeat(Number(b.fill_count));
        return obs;
      }
      default:
        throw new TypeError(`Cannot build scenario tool "${name}": unknown behaviour "${b.kind}"`);
    }
  };
  return {
    name,
    schema: { name, description: spec.description ?? "", parameters: spec.parameters ?? {} },
    ...(spec.prompt_fragment !== undefined ? { prompt_fragment: spec.prompt_fragment } : {}),
    tier: spec.tier ?? 1,
    capabilities: new Set(spec.capabilities ?? []),
    egress: new Set(spec.egress ?? []),
    call(_ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
      try {
        return Promise.resolve(behave(args));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/** Reads `scenario.json` (zu's number semantics kept). */
export async function loadScenario(dir: string | URL): Promise<Record<string, unknown>> {
  const base = typeof dir === "string" ? dir.replace(/\/$/, "") : dir.href.replace(/\/$/, "");
  const path = typeof dir === "string" ? `${base}/scenario.json` : new URL(`${base}/scenario.json`);
  const v = parseJson(await Deno.readTextFile(path));
  if (!isObject(v)) {
    throw new TypeError(`Cannot read scenario "${String(path)}": not a JSON object`);
  }
  return v;
}

/** The scenario's task. */
export function scenarioSpec(s: Record<string, unknown>): TaskSpec {
  return {
    task_id: String(s.task_id),
    query: String(s.query),
    target: typeof s.target === "string" ? s.target : null,
    output_schema: isObject(s.output_schema) ? s.output_schema : {},
    budget: { ...DEFAULT_BUDGET, ...(isObject(s.budget) ? s.budget : {}) },
    max_tier: typeof s.max_tier === "number" ? s.max_tier : 2,
    tainted: s.tainted === true,
    mode: s.mode === "explore" ? "explore" : "execute",
    quarantined: s.quarantined === true,
  };
}

/** Runs the scenario in `dir` and returns its result and events. */
export async function runScenario(
  dir: string | URL,
  options: RunScenarioOptions = {},
): Promise<ScenarioRun> {
  const s = await loadScenario(dir);
  const tools = new Map<string, Tool>();
  for (const [name, t] of Object.entries((s.tools ?? {}) as Record<string, ScenarioToolSpec>)) {
    tools.set(name, scenarioTool(name, t));
  }
  const detectorFactories = builtinDetectors();
  const validatorFactories = builtinValidators();
  const detectors = new Map<string, Detector>();
  for (const n of (s.detectors ?? []) as string[]) {
    const f = detectorFactories.get(n);
    if (!f) throw new TypeError(`Cannot run scenario: unknown detector "${n}"`);
    detectors.set(n, f());
  }
  const validators = new Map<string, Validator>();
  for (const n of (s.validators ?? []) as string[]) {
    const f = validatorFactories.get(n);
    if (!f) throw new TypeError(`Cannot run scenario: unknown validator "${n}"`);
    validators.set(n, f());
  }
  const provider = ScriptedProvider.fromMoves((s.moves ?? []) as Record<string, unknown>[]);
  const sink = new MemorySink();
  const bus = new EventBus(sink);
  const events: Event[] = [];
  bus.subscribe((e) => {
    events.push(e);
  });
  try {
    const result = await runTask(
      scenarioSpec(s),
      provider,
      {
        tools,
        detectors,
        validators,
        gates: new Map(),
      },
      bus,
      {
        containment: s.containment === "required" ? "required" : "audit",
        ...(options.runOptions ?? {}),
      },
    );
    return { result, events };
  } finally {
    await bus.close();
  }
}
