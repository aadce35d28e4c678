/**
 * The jailed child's final answer, typed per mode, and its check on the host: the child's output
 * is never trusted, so {@link parseJailResult} validates the answer at the boundary and no caller
 * re-types it.
 *
 * @example
 * ```ts
 * import { parseJailResult } from "./jail_result.ts";
 * const r = parseJailResult("live", {
 *   result: { status: "success", value: { price: 1 }, reason: null },
 *   task: "price?",
 *   task_id: "t1",
 *   model: null,
 *   replayed_track: false,
 * });
 * console.assert(r.result.status === "success");
 * ```
 * @module
 */
import type { Result } from "../../core/contracts.ts";
import type { AttackOutcome, ReplayOutcome } from "../../harness/offline.ts";
import type { HardenReport } from "../../harness/harden.ts";

/** The modes of a jailed child: a live run, an offline replay, or a harden run. */
export type JailMode = "live" | "offline" | "harden";

/** The answer of a live child (`zu run`, `zu capture`, the contained run). */
export interface LiveChildResult {
  /** The run's result. */
  result: Result;
  /** The task's query. */
  task: string;
  /** The task id. */
  task_id: string;
  /** The model id, or null (scripted). */
  model: string | null;
  /** A recorded `track.json` was replayed. */
  replayed_track: boolean;
}

/** The answer of an offline replay child (`zu replay`, `zu build`). */
export interface OfflineChildResult {
  /** The run's result. */
  result: Result;
  /** Recorded observations the run never used. */
  unused: ReplayOutcome["unused"];
  /** Fixture overruns and misses, in order. */
  fixtureErrors: ReplayOutcome["fixtureErrors"];
  /** What planted attacks achieved. */
  attack: AttackOutcome;
}

/** The answer of a harden child (`zu harden`, `zu build`). */
export interface HardenChildResult {
  /** The harden report. */
  report: HardenReport;
}

/** The child's answer by mode. */
export interface JailResults {
  /** `--mode live`. */
  live: LiveChildResult;
  /** `--mode offline`. */
  offline: OfflineChildResult;
  /** `--mode harden`. */
  harden: HardenChildResult;
}

function malformed(mode: JailMode, why: string): TypeError {
  return new TypeError(`Cannot read the jailed child's ${mode} result: ${why}`);
}

function record(mode: JailMode, value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw malformed(mode, `${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

const STATUSES: readonly string[] = ["success", "escalate", "terminal", "paused"];

function resultOf(mode: JailMode, value: unknown): Result {
  const r = record(mode, value, '"result"');
  if (typeof r.status !== "string" || !STATUSES.includes(r.status)) {
    throw malformed(mode, `"result.status" is "${String(r.status)}"`);
  }
  if (r.value !== null && (typeof r.value !== "object" || Array.isArray(r.value))) {
    throw malformed(mode, '"result.value" is neither an object nor null');
  }
  if (r.reason !== null && typeof r.reason !== "string") {
    throw malformed(mode, '"result.reason" is neither a string nor null');
  }
  return {
    status: r.status as Result["status"],
    value: r.value as Result["value"],
    reason: r.reason,
  };
}

function parseLive(value: unknown): LiveChildResult {
  const v = record("live", value, "the answer");
  if (typeof v.task !== "string") throw malformed("live", '"task" is not a string');
  if (typeof v.task_id !== "string") throw malformed("live", '"task_id" is not a string');
  if (v.model !== null && typeof v.model !== "string") {
    throw malformed("live", '"model" is neither a string nor null');
  }
  return {
    result: resultOf("live", v.result),
    task: v.task,
    task_id: v.task_id,
    model: v.model,
    replayed_track: v.replayed_track === true,
  };
}

function parseOffline(value: unknown): OfflineChildResult {
  const v = record("offline", value, "the answer");
  if (!Array.isArray(v.unused)) throw malformed("offline", '"unused" is not a list');
  if (!Array.isArray(v.fixtureErrors)) throw malformed("offline", '"fixtureErrors" is not a list');
  for (const f of v.fixtureErrors) {
    const e = record("offline", f, "a fixture error");
    if (typeof e.tool !== "string" || typeof e.message !== "string") {
      throw malformed("offline", "a fixture error lacks its tool or message");
    }
  }
  const attack = record("offline", v.attack, '"attack"');
  if (!Array.isArray(attack.executed) || !Array.isArray(attack.obeyed)) {
    throw malformed("offline", '"attack" lacks its lists');
  }
  return {
    result: resultOf("offline", v.result),
    unused: v.unused as OfflineChildResult["unused"],
    fixtureErrors: v.fixtureErrors as OfflineChildResult["fixtureErrors"],
    attack: attack as unknown as AttackOutcome,
  };
}

function parseHarden(value: unknown): HardenChildResult {
  const v = record("harden", value, "the answer");
  const report = record("harden", v.report, '"report"');
  if (report.schema_version !== 1) {
    throw malformed("harden", `"report.schema_version" is "${String(report.schema_version)}"`);
  }
  if (typeof report.exit_code !== "number" || !Array.isArray(report.lines)) {
    throw malformed("harden", '"report" lacks its exit code or lines');
  }
  return { report: report as unknown as HardenReport };
}

const PARSERS: { [M in JailMode]: (value: unknown) => JailResults[M] } = {
  live: parseLive,
  offline: parseOffline,
  harden: parseHarden,
};

/**
 * Checks the child's answer for `mode` and returns it typed. A `TypeError` (one line) says what
 * is missing: the host never trusts the child's output.
 */
export function parseJailResult<M extends JailMode>(mode: M, value: unknown): JailResults[M] {
  return PARSERS[mode](value);
}
