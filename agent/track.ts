/**
 * Tracks (`track.json`): the recorded tool calls of a successful run, replayed on the next run of
 * the same task before the model is asked anything, zu's `track.py`.
 *
 * @example
 * ```ts
 * import { Track } from "./track.ts";
 * const t = new Track("Find the price", [{ tool: "http_fetch", args: { url: "https://shop.example/" } }]);
 * console.assert(t.matches("Find the price") && t.steps[0]?.tier === 1);
 * console.assert(Track.parse(t.toJson())?.contentHash() === t.contentHash());
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { TASK_ESCALATED, TOOL_INVOKED } from "../core/events.ts";
import type { Event } from "../core/events.ts";
import { parseJson } from "../core/json.ts";
import { pyDumps } from "../core/python/mod.ts";
import { jsonClone } from "../core/json_clone.ts";

/** One recorded call. */
export interface TrackStep {
  /** Tool name. */
  tool: string;
  /** Arguments. */
  args: Record<string, unknown>;
  /** Milliseconds waited before this call when recorded. Default 0. */
  wait_ms: number;
  /** Tier the call needs. Default 1. */
  tier: number;
  /** What the call does (from the invocation ctx), if recorded. */
  consequence?: string | null;
  /** Where it goes (from the invocation ctx), if recorded. */
  destination?: string | null;
}

/** The step fields a caller gives; the rest default. */
export type TrackStepInit = Pick<TrackStep, "tool"> & Partial<TrackStep>;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function normStep(s: TrackStepInit): TrackStep {
  const step: TrackStep = {
    tool: s.tool,
    args: jsonClone(s.args ?? {}),
    wait_ms: Number(s.wait_ms ?? 0),
    tier: Number(s.tier ?? 1),
  };
  if (s.consequence !== undefined && s.consequence !== null) step.consequence = s.consequence;
  if (s.destination !== undefined && s.destination !== null) step.destination = s.destination;
  return step;
}

/** A recorded route through a task. */
export class Track {
  /** The exact task text it was recorded for. */
  readonly task: string;
  /** The calls, in order. */
  readonly steps: readonly TrackStep[];
  /** The model that recorded it, if known. */
  readonly model: string | null;

  /** Creates a track. */
  constructor(task: string, steps: readonly TrackStepInit[], model: string | null = null) {
    this.task = task;
    this.steps = steps.map(normStep);
    this.model = model;
  }

  /** Exact string equality with the task. */
  matches(task: string): boolean {
    return this.task === task;
  }

  /** sha256 hex over the canonical JSON of `[{tool, args, tier, consequence, destination}]`. */
  contentHash(): string {
    const body = this.steps.map((s) => ({
      tool: s.tool,
      args: s.args,
      tier: s.tier,
      consequence: s.consequence ?? null,
      destination: s.destination ?? null,
    }));
    const text = pyDumps(body, { sortKeys: true, separators: [",", ":"] });
    return createHash("sha256").update(text, "utf8").digest("hex");
  }

  /** The `{task, model, steps}` object zu writes. */
  toJSON(): Record<string, unknown> {
    return {
      task: this.task,
      model: this.model,
      steps: this.steps.map((s) => {
        const o: Record<string, unknown> = {
          tool: s.tool,
          args: s.args,
          wait_ms: s.wait_ms,
          tier: s.tier,
        };
        if (s.consequence != null) o.consequence = s.consequence;
        if (s.destination != null) o.destination = s.destination;
        return o;
      }),
    };
  }

  /** `track.json` text (indent 2). */
  toJson(): string {
    return JSON.stringify(this.toJSON(), null, 2);
  }

  /** Parses `track.json` text; null when it is not a valid track. */
  static parse(text: string): Track | null {
    let v: unknown;
    try {
      v = parseJson(text);
    } catch {
      return null;
    }
    if (!isObject(v) || typeof v.task !== "string" || !Array.isArray(v.steps)) return null;
    const steps: TrackStepInit[] = [];
    for (const s of v.steps) {
      if (!isObject(s) || typeof s.tool !== "string") return null;
      if (s.args !== undefined && !isObject(s.args)) return null;
      const init: TrackStepInit = { tool: s.tool, args: (s.args ?? {}) as Record<string, unknown> };
      if (s.wait_ms !== undefined) init.wait_ms = Number(s.wait_ms);
      if (s.tier !== undefined) init.tier = Number(s.tier);
      if (typeof s.consequence === "string") init.consequence = s.consequence;
      if (typeof s.destination === "string") init.destination = s.destination;
      if (!Number.isFinite(init.wait_ms ?? 0) || !Number.isFinite(init.tier ?? 1)) return null;
      steps.push(init);
    }
    return new Track(v.task, steps, typeof v.model === "string" ? v.model : null);
  }

  /** Reads a track file; null when it is missing or invalid. */
  static async load(path: string | URL): Promise<Track | null> {
    try {
      return Track.parse(await Deno.readTextFile(path));
    } catch {
      return null;
    }
  }

  /** Writes the track file. */
  async save(path: string | URL): Promise<void> {
    await Deno.writeTextFile(path, this.toJson() + "\n");
  }
}

/** Milliseconds since the epoch of a Pydantic timestamp, with microseconds kept as a fraction. */
export function tsMillis(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return Date.parse(ts);
  const base = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(m[2].padEnd(6, "0")) / 1000 : 0;
  return base + frac;
}

/**
 * Builds a track from a run's events: one step per harness.tool.invoked, `wait_ms` the time since
 * the previous invocation, `tier` followed through harness.task.escalated `to_tier`, and
 * `ctx.consequence` / `ctx.destination` carried over.
 */
export function recordTrack(
  events: readonly Event[],
  task: string,
  model: string | null = null,
): Track {
  const steps: TrackStepInit[] = [];
  let tier = 1;
  let prev: number | null = null;
  for (const e of events) {
    if (e.type === TASK_ESCALATED) {
      const to = e.payload.to_tier;
      if (typeof to === "number") tier = to;
      continue;
    }
    if (e.type !== TOOL_INVOKED) continue;
    const t = tsMillis(e.ts);
    const wait = prev === null ? 0 : Math.max(0, Math.trunc(t - prev));
    prev = t;
    const ctx = isObject(e.payload.ctx) ? e.payload.ctx : {};
    const step: TrackStepInit = {
      tool: String(e.payload.tool),
      args: isObject(e.payload.args) ? e.payload.args : {},
      wait_ms: wait,
      tier,
    };
    if (typeof ctx.consequence === "string") step.consequence = ctx.consequence;
    if (typeof ctx.destination === "string") step.destination = ctx.destination;
    steps.push(step);
  }
  return new Track(task, steps, model);
}
