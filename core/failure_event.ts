/**
 * The terminal event of a run that an error ended from outside the loop (the jailed child or the
 * sandbox was killed, timed out or died): `harness.task.terminal` with reason `error:<code>`, for
 * the last run `events` started, when the error is a `RunFailure` or a `UserError` and that run
 * has not ended yet. The loop writes the same event itself for errors it sees.
 *
 * @example
 * ```ts
 * import { failureEvent } from "./failure_event.ts";
 * import { newEvent, TASK_STARTED } from "./events.ts";
 * import { Interrupted } from "./errors.ts";
 * const started = newEvent({ task_id: "t1", type: TASK_STARTED, payload: { query: "q" } });
 * const end = failureEvent([started], new Interrupted());
 * console.assert(end?.payload.reason === "error:interrupted" && end.parent_id === started.event_id);
 * console.assert(failureEvent([started], new TypeError("a bug")) === null);
 * ```
 * @module
 */
import { RunFailure, UserError } from "./errors.ts";
import { type Event, newEvent, TASK_COMPLETED, TASK_STARTED, TASK_TERMINAL } from "./events.ts";

/** `harness.task.terminal` for the run `err` ended, or null (a bug, no run, or already ended). */
export function failureEvent(events: readonly Event[], err: unknown): Event | null {
  if (!(err instanceof RunFailure || err instanceof UserError)) return null;
  const start = events.findLastIndex((e) => e.type === TASK_STARTED);
  if (start < 0) return null;
  const started = events[start]!;
  const ended = events.slice(start).some((e) =>
    e.task_id === started.task_id && (e.type === TASK_TERMINAL || e.type === TASK_COMPLETED)
  );
  if (ended) return null;
  return newEvent({
    task_id: started.task_id,
    trace_id: started.trace_id,
    parent_id: started.event_id,
    type: TASK_TERMINAL,
    source: "runner",
    payload: { reason: `error:${err.code}`, error: err.message },
  });
}
