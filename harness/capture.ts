/**
 * Capture: project a run's event log and result into a capture bundle. One move per
 * `harness.tool.invoked`; each observation is the FULL content logged as `data.source.fetched`
 * for that call (zu's capture took the summarised `tool.returned` copy, which drops the page),
 * falling back to `tool.returned` when the call logged no content (errors, `{closed}`); the
 * observation of `browser op=close` is skipped so the session replay stays aligned; a final text
 * move carries `json.dumps(result.value)`.
 *
 * @example
 * ```ts ignore
 * import { captureBundle } from "./capture.ts";
 * const bundle = captureBundle(events, result, { task: spec.query, model: provider.model });
 * ```
 * @module
 */
import type { Result } from "../core/contracts.ts";
import { ZuError } from "../core/errors.ts";
import { type Event, SOURCE_FETCHED, TOOL_INVOKED, TOOL_RETURNED } from "../core/events.ts";
import { type Bundle, BUNDLE_VERSION, deepCopy, type Move, type Observation } from "./bundle.ts";
import { pyDumps } from "../core/python/mod.ts";

/** Options of {@link captureBundle}. */
export interface CaptureOptions {
  /** The query the run answered. */
  task: string;
  /** The model that found the path (provenance), or null. */
  model: string | null;
  /** Add `zu_bundle_version` (zu ignores it). Default true. */
  includeVersion?: boolean;
  /** Capture a run that did not succeed (zu refuses). Default false. */
  allowFailure?: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Projects `events` (one run, in order) and its `result` into a bundle. Throws a `ZuError`
 * (`capture_failed`) when the run did not succeed, unless `allowFailure`.
 */
export function captureBundle(
  events: readonly Event[],
  result: Result,
  options: CaptureOptions,
): Bundle {
  if (result.status !== "success" && !options.allowFailure) {
    throw new ZuError(
      "capture_failed",
      `Cannot capture the run: it ended "${result.status}"${
        result.reason ? ` ("${result.reason}")` : ""
      }, and only a successful run makes a bundle`,
    );
  }
  const moves: Move[] = [];
  const observations: Record<string, Observation[]> = {};
  let pending: { tool: string; args: Record<string, unknown>; full: Observation | null } | null =
    null;
  for (const ev of events) {
    const p = ev.payload as Record<string, unknown>;
    if (ev.type === TOOL_INVOKED) {
      const tool = p.tool;
      if (typeof tool !== "string" || tool === "") continue;
      const args = isObject(p.args) ? deepCopy(p.args) : {};
      moves.push({ tool, args });
      pending = { tool, args, full: null };
    } else if (ev.type === SOURCE_FETCHED) {
      if (pending !== null && pending.full === null && ev.source === pending.tool) {
        pending.full = deepCopy(p as Observation);
      }
    } else if (ev.type === TOOL_RETURNED) {
      const tool = p.tool;
      if (typeof tool !== "string" || tool === "") continue;
      const isClose = pending !== null && pending.tool === "browser" && pending.args.op === "close";
      const obs = pending !== null && pending.tool === tool && pending.full !== null
        ? pending.full
        : isObject(p.observation)
        ? deepCopy(p.observation)
        : null;
      if (obs !== null && !isClose) (observations[tool] ??= []).push(obs);
      pending = null;
    }
  }
  if (result.value !== null && result.value !== undefined) {
    moves.push({ text: pyDumps(result.value), finish: "stop" });
  }
  const bundle: Bundle = { task: options.task, model: options.model, moves, observations };
  if (options.includeVersion ?? true) bundle.zu_bundle_version = BUNDLE_VERSION;
  return bundle;
}
