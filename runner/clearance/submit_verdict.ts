/**
 * A verdict from any process on the host (`zu clear`, `zu serve`), delivered through the run's
 * event database: the issued (request id, run, host, port) is checked against the
 * `harness.egress.pending` event, the verdict is posted to the database's `clearance_verdicts`
 * inbox, and the live run's acknowledgement is awaited (bounded). A `persist` verdict that no live
 * run takes is stored as a rule all the same (later runs read it).
 *
 * @example
 * ```ts ignore
 * import { submitClearanceVerdict } from "./submit_verdict.ts";
 * const r = await submitClearanceVerdict({ sink, inbox, verdict: {
 *   request_id: id, action: "allow", scope: "once", actor: "cli:ops" } });
 * console.log(r.outcome); // applied | refused | unclaimed
 * ```
 * @module
 */
import type {
  ClearanceDecision,
  ClearanceRule,
  ClearanceScope,
  ClearanceStore,
  EventSink,
} from "../../core/types.ts";
import { ClearanceRefused } from "../../backends/egress/clearance/clearance_error.ts";
import { checkVerdict } from "../../backends/egress/clearance/clearance_verdict.ts";
import { sanitizeForOperator } from "../../backends/egress/clearance/sanitize.ts";
import type { ClearanceInbox, InboxRow } from "../../sinks/sqlite/clearance_inbox.ts";
import { SqliteClearanceStore } from "../../sinks/sqlite/clearance_store.ts";
import { clearanceRecords } from "./pending_clearances.ts";

/** A verdict as a door hands it in; `run`/`host`/`port`, when given, must match the issued ones. */
export interface ClearanceVerdictInput {
  /** The pending request's id. */
  request_id: string;
  /** Allow or deny. */
  action: "allow" | "deny";
  /** Default `once` for an allow, `persist` for a deny. */
  scope?: ClearanceScope;
  /** Model-facing reason. */
  reason?: string;
  /** Who decides (set by the door: `cli:<user>`, `serve`). */
  actor: string;
  /** Validity of a run/persist rule in ms. */
  ttl_ms?: number;
  /** The run the client believes the id belongs to. */
  run?: string;
  /** The host it believes it decides. */
  host?: string;
  /** The port it believes it decides. */
  port?: number;
}

/** Options of {@link submitClearanceVerdict}. */
export interface SubmitOptions {
  /** The run's event log (read: the pending event, decisions, the run's end). */
  sink: EventSink;
  /** The inbox of the same database. */
  inbox: ClearanceInbox;
  /** The verdict. */
  verdict: ClearanceVerdictInput;
  /** How long to wait for the live run's answer, in ms. Default 5000. */
  waitMs?: number;
  /** Where a persist rule no live run took is stored. Default the inbox's own database. */
  store?: ClearanceStore;
  /** Stops waiting (the row is then given up like a timeout). */
  signal?: AbortSignal;
}

/** What became of a verdict. */
export type ClearanceSubmission =
  | { outcome: "applied"; request_id: string; run_id: string; decision: ClearanceDecision }
  | {
    outcome: "refused";
    request_id: string;
    run_id: string;
    code: string;
    status: number;
    message: string;
  }
  | {
    outcome: "unclaimed";
    request_id: string;
    run_id: string;
    /** Whether a persist rule was stored for later runs. */
    stored_rule: boolean;
    message: string;
  };

const POLL_MS = 10;

function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Checks, posts and awaits one verdict. Throws `ClearanceRefused`: `unknown_request` (404: no
 * such pending event), `tuple_mismatch` (409: another run, host or port), `already_decided` (409:
 * decided in the log or already posted), `verdict_invalid` (400).
 */
export async function submitClearanceVerdict(o: SubmitOptions): Promise<ClearanceSubmission> {
  const v = o.verdict;
  const id = typeof v.request_id === "string" ? v.request_id : "";
  const shown = sanitizeForOperator(id, 64);
  const rec = id === "" ? undefined : (await clearanceRecords(o.sink, id)).get(id);
  if (rec === undefined) {
    throw new ClearanceRefused(
      "unknown_request",
      `Cannot apply verdict: request "${shown}" is unknown (never issued in this event log)`,
    );
  }
  const p = rec.pending;
  if (
    (v.run !== undefined && v.run !== p.run_id) ||
    (v.host !== undefined && v.host !== p.host) ||
    (v.port !== undefined && v.port !== p.port)
  ) {
    throw new ClearanceRefused(
      "tuple_mismatch",
      `Cannot apply verdict: request "${shown}" was issued for another run, host or port`,
    );
  }
  if (rec.decided !== null) {
    throw new ClearanceRefused(
      "already_decided",
      `Cannot apply verdict: request "${shown}" is already decided (${
        sanitizeForOperator(rec.decided.decision, 8)
      } by ${sanitizeForOperator(rec.decided.actor, 64)})`,
    );
  }
  const checked = checkVerdict({
    request_id: id,
    run_id: p.run_id,
    host: p.host,
    port: p.port,
    action: v.action,
    actor: v.actor,
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.ttl_ms !== undefined ? { ttl_ms: v.ttl_ms } : {}),
  });
  const posted = o.inbox.post({
    request_id: id,
    run_id: p.run_id,
    host: p.host,
    port: p.port,
    action: checked.action,
    scope: checked.scope,
    actor: checked.actor,
    reason: checked.reason ?? null,
    ttl_ms: checked.ttl_ms ?? null,
  });
  if ("duplicate" in posted) {
    throw new ClearanceRefused(
      "already_decided",
      `Cannot apply verdict: request "${shown}" already has a verdict (${posted.duplicate.action} by ${posted.duplicate.actor})`,
    );
  }
  const base = { request_id: id, run_id: p.run_id };
  const settled = (row: InboxRow | null): ClearanceSubmission | null => {
    if (row === null || (row.state !== "applied" && row.state !== "refused")) return null;
    const a = (row.answer ?? {}) as Record<string, unknown>;
    if (row.state === "applied") {
      return { outcome: "applied", ...base, decision: a.decision as ClearanceDecision };
    }
    return {
      outcome: "refused",
      ...base,
      code: sanitizeForOperator(a.code, 40),
      status: Number(a.status) || 500,
      message: sanitizeForOperator(a.message, 300),
    };
  };
  // A run that has ended takes nothing: do not wait for it.
  const waitMs = rec.runEnded ? 0 : Math.max(0, o.waitMs ?? 5000);
  const until = performance.now() + waitMs;
  let taken = false;
  let abandoned = false;
  for (let i = 0; i < 100_000 && !abandoned; i++) {
    const row = o.inbox.get(posted.id);
    const done = settled(row);
    if (done !== null) return done;
    taken ||= row?.state === "taken";
    const late = performance.now() >= until || o.signal?.aborted === true;
    if (late && !taken) {
      if (o.inbox.abandon(posted.id, { code: "no_live_run" })) {
        abandoned = true;
        break;
      }
      taken = true; // claimed at the last moment: give the desk a little longer
    }
    if (late && performance.now() >= until + 2000) break;
    await waitFor(POLL_MS, late ? undefined : o.signal);
  }
  if (!abandoned) {
    return {
      outcome: "refused",
      ...base,
      code: "no_answer",
      status: 504,
      message: "the live run took the verdict but did not answer in time",
    };
  }
  let stored = false;
  if (checked.scope === "persist") {
    const now = Date.now();
    const rule: ClearanceRule = {
      host: p.host,
      port: p.port,
      action: checked.action,
      scope: "persist",
      ttl_until: checked.ttl_ms === undefined ? null : new Date(now + checked.ttl_ms).toISOString(),
      actor: checked.actor,
      reason: checked.reason ?? null,
      created: new Date(now).toISOString(),
      run_id: p.run_id,
      request_id: id,
    };
    if (o.store !== undefined) await o.store.save(rule);
    else {
      await using store = new SqliteClearanceStore(o.inbox.path);
      await store.save(rule);
    }
    stored = true;
  }
  return {
    outcome: "unclaimed",
    ...base,
    stored_rule: stored,
    message: stored
      ? "no live run took the verdict; it is stored as a rule for later runs"
      : "no live run took the verdict (the run ended or its hold is over); nothing was released",
  };
}
