/**
 * The pending clearances of a {@link ClearanceDesk} in this process as a {@link PendingSource}
 * for `zu serve` (and its dashboard): `list()` is `desk.pending()` as `PendingItem`s (every text
 * sanitised again with `sanitizeForOperator`), `verdict()` is `desk.verdict()` with its refusals
 * (`ClearanceRefused`) answered with their HTTP status (`CLEARANCE_REFUSAL_STATUS`: 404
 * `unknown_request`, 409 `tuple_mismatch`/`already_decided`, 400 `verdict_invalid`, 503
 * `clearance_closed`). An id the desk is not holding answers 404 whatever the body says, so
 * {@link combinePendingSources} goes on to the next source (approvals).
 *
 * @example
 * ```ts
 * import { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
 * import { deskPendingSource } from "./desk_pending_source.ts";
 * const desk = new ClearanceDesk({ holdMs: 5000 });
 * const source = deskPendingSource(desk);
 * await desk.ready(); // then a request is registered at once
 * const held = desk.request({ run_id: "r1", host: "api.test", port: 443, scheme: "https" });
 * const [item] = await source.list();
 * const answer = await source.verdict(item!.id, {
 *   action: "allow", run: "r1", host: "api.test", port: 443, scope: "once", by: "serve",
 * });
 * console.assert(answer.status === 200 && (await held).decision === "allow");
 * desk.close();
 * ```
 * @module
 */
import type { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
import { ClearanceRefused } from "../../backends/egress/clearance/clearance_error.ts";
import { MAX_REASON_CHARS } from "../../backends/egress/clearance/clearance_verdict.ts";
import { sanitizeForOperator } from "../../backends/egress/clearance/sanitize.ts";
import type {
  ClearancePending,
  PendingAnswer,
  PendingItem,
  PendingSource,
  PendingVerdict,
} from "../../core/types.ts";
import { UNKNOWN_REQUEST } from "./pending_source.ts";

/** A held clearance as the server lists it. */
export function pendingItemOfClearance(p: ClearancePending): PendingItem {
  const host = sanitizeForOperator(p.host);
  const scheme = sanitizeForOperator(p.scheme, 8);
  const sni = p.sni === undefined ? "" : ` (SNI ${sanitizeForOperator(p.sni)})`;
  const times = p.count === 1 ? "1 request" : `${p.count} requests`;
  return {
    id: sanitizeForOperator(p.request_id, 64),
    kind: "clearance",
    run: sanitizeForOperator(p.run_id, 128),
    host,
    port: p.port,
    created_at: sanitizeForOperator(p.first_seen, 40),
    deadline_at: sanitizeForOperator(p.deadline, 40),
    summary: `${scheme} ${host}:${p.port}${sni}, ${times} held`,
  };
}

function answer(status: number, body: unknown): PendingAnswer {
  return { status, body };
}

/** A {@link PendingSource} over an in-process desk. */
export function deskPendingSource(desk: ClearanceDesk): PendingSource {
  return {
    list(): Promise<PendingItem[]> {
      return Promise.resolve(desk.pending().map(pendingItemOfClearance));
    },
    async verdict(id: string, body: PendingVerdict): Promise<PendingAnswer> {
      const held = desk.pending().some((p) => p.request_id === id);
      if (body.action !== "allow" && body.action !== "deny") {
        if (!held) return UNKNOWN_REQUEST;
        return answer(400, {
          error: "bad_action",
          message: `A clearance takes allow or deny, not ${body.action}`,
        });
      }
      if (body.run === undefined || body.host === undefined || body.port === undefined) {
        if (!held) return UNKNOWN_REQUEST;
        return answer(400, {
          error: "verdict_invalid",
          message: "A clearance verdict must echo the run, host and port it was shown",
        });
      }
      try {
        const decision = await desk.verdict({
          request_id: id,
          run_id: body.run,
          host: body.host,
          port: body.port,
          action: body.action,
          ...(body.scope ? { scope: body.scope } : {}),
          actor: body.by,
          ...(body.reason !== undefined ? { reason: body.reason.slice(0, MAX_REASON_CHARS) } : {}),
        });
        return answer(200, { decision });
      } catch (err) {
        if (err instanceof ClearanceRefused) {
          return answer(err.status, {
            error: err.code,
            message: sanitizeForOperator(err.message, 300),
          });
        }
        throw err;
      }
    },
  };
}
