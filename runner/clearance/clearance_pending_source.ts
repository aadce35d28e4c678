/**
 * Live clearances as a `PendingSource` of `zu serve` (and of any other door): the list is
 * {@link pendingClearances} of the run's event log, a verdict goes through
 * {@link submitClearanceVerdict} (the issued tuple checked: unknown id 404, another run, host or
 * port 409, decided already 409), so it reaches the live run from any process.
 *
 * @example
 * ```ts ignore
 * const source = clearancePendingSource({ open: async () => ({ sink, inbox }) });
 * const answer = await source.verdict(id, { action: "allow", by: "serve" });
 * ```
 * @module
 */
import type {
  EventSink,
  PendingAnswer,
  PendingItem,
  PendingSource,
  PendingVerdict,
} from "../../core/types.ts";
import { ClearanceRefused } from "../../backends/egress/clearance/clearance_error.ts";
import { sanitizeForOperator } from "../../backends/egress/clearance/sanitize.ts";
import type { ClearanceInbox } from "../../sinks/sqlite/clearance_inbox.ts";
import { clearanceRecords, pendingClearances } from "./pending_clearances.ts";
import { submitClearanceVerdict } from "./submit_verdict.ts";

/** The event log and inbox a call uses; `close` is called after it. */
export interface ClearanceChannel {
  /** The run's event log (read). */
  sink: EventSink;
  /** The inbox of the same database. */
  inbox: ClearanceInbox;
  /** Releases both. */
  close(): Promise<void>;
}

/** Options of {@link clearancePendingSource}. */
export interface ClearancePendingSourceOptions {
  /** Opens the channel for one call; null when the database does not exist (nothing pending). */
  open: () => Promise<ClearanceChannel | null>;
  /** How long a verdict waits for the live run's answer, in ms. Default 5000. */
  waitMs?: number;
}

const NOT_FOUND: PendingAnswer = { status: 404, body: { error: "unknown_request" } };

/** Held clearances as a pending source. */
export function clearancePendingSource(o: ClearancePendingSourceOptions): PendingSource {
  return {
    async list(): Promise<PendingItem[]> {
      const ch = await o.open();
      if (ch === null) return [];
      try {
        return (await pendingClearances(ch.sink)).map((c) => ({
          id: c.request_id,
          kind: "clearance",
          run: c.run_id,
          host: c.host,
          port: c.port,
          created_at: c.first_seen,
          deadline_at: c.deadline,
          summary: sanitizeForOperator(`${c.scheme} ${c.host}:${c.port} (${c.count} request(s))`),
        }));
      } finally {
        await ch.close();
      }
    },
    async verdict(id: string, body: PendingVerdict): Promise<PendingAnswer> {
      const ch = await o.open();
      if (ch === null) return NOT_FOUND;
      try {
        if (body.action !== "allow" && body.action !== "deny") {
          if (!(await clearanceRecords(ch.sink, id)).has(id)) return NOT_FOUND;
          return {
            status: 400,
            body: { error: "bad_action", message: "a clearance takes allow or deny" },
          };
        }
        const out = await submitClearanceVerdict({
          sink: ch.sink,
          inbox: ch.inbox,
          ...(o.waitMs !== undefined ? { waitMs: o.waitMs } : {}),
          verdict: {
            request_id: id,
            action: body.action,
            actor: body.by,
            ...(body.scope !== undefined ? { scope: body.scope } : {}),
            ...(body.reason !== undefined ? { reason: body.reason } : {}),
            ...(body.run !== undefined ? { run: body.run } : {}),
            ...(body.host !== undefined ? { host: body.host } : {}),
            ...(body.port !== undefined ? { port: body.port } : {}),
          },
        });
        if (out.outcome === "applied") return { status: 200, body: { kind: "clearance", ...out } };
        if (out.outcome === "refused") {
          return {
            status: out.status >= 400 && out.status < 600 ? out.status : 409,
            body: { error: out.code, message: out.message, outcome: out.outcome },
          };
        }
        return out.stored_rule
          ? { status: 200, body: { kind: "clearance", ...out } }
          : { status: 409, body: { error: "no_live_run", ...out } };
      } catch (e) {
        if (e instanceof ClearanceRefused) {
          return { status: e.status, body: { error: e.code, message: e.message } };
        }
        throw e;
      } finally {
        await ch.close();
      }
    },
  };
}
