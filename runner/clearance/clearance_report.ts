/**
 * One report of a run's clearance desk (a request held, a verdict or deadline) and the event it
 * becomes on the run's task: `harness.egress.pending` / `harness.egress.clearance`, source
 * `egress_proxy`. Light on purpose: the run paths import it without loading SQLite.
 *
 * @example
 * ```ts
 * import { clearanceReportEvent } from "./clearance_report.ts";
 * const e = clearanceReportEvent({ kind: "pending", pending: { request_id: "r", run_id: "t",
 *   host: "a.test", port: 443, scheme: "https", first_seen: "", count: 1, deadline: "" } },
 *   { task_id: "t", trace_id: "t" });
 * console.assert(e.type === "harness.egress.pending");
 * ```
 * @module
 */
import type { ClearanceDecision, ClearancePending } from "../../core/types.ts";
import { EGRESS_CLEARANCE, EGRESS_PENDING, type Event, newEvent } from "../../core/events.ts";

/** One report of the desk, for the run's event log. */
export type ClearanceReport =
  | { kind: "pending"; pending: ClearancePending }
  | { kind: "clearance"; decision: ClearanceDecision };

/** A report as an event on the run's task (`source` `egress_proxy`). */
export function clearanceReportEvent(
  r: ClearanceReport,
  task: { task_id: string; trace_id: string },
): Event {
  return newEvent({
    task_id: task.task_id,
    trace_id: task.trace_id,
    type: r.kind === "pending" ? EGRESS_PENDING : EGRESS_CLEARANCE,
    source: "egress_proxy",
    payload: r.kind === "pending" ? { ...r.pending } : { ...r.decision },
  });
}
