/**
 * What `zu serve` lists at `GET /v1/pending` and sends verdicts to: held clearances of live runs
 * (a verdict reaches the live run through its event database) and runs paused for an approval
 * (a verdict is written into the log; the run is not resumed by the server — `resumeRun`, or a
 * later `zu approve` flow, continues it). The log read is the serve command's `--db`, else the
 * agent's in the working directory, else `.zu/events.db`; it is opened per call, so a log created
 * after the server started is seen.
 *
 * @module
 */
import type {
  EventSink,
  PendingAnswer,
  PendingItem,
  PendingSource,
  PendingVerdict,
} from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import { sanitizeForOperator } from "../backends/egress/clearance/sanitize.ts";
import { type CommandContext, str } from "./_command.ts";
import type { LoadedAgent } from "./_agent.ts";
import { exists, openReadLog, openRunLog } from "./_event_log.ts";
import { clearanceDbPathOf, optionalAgent } from "./_clearance_db.ts";

const NOT_FOUND: PendingAnswer = { status: 404, body: { error: "unknown_request" } };

function approvalSource(
  ctx: CommandContext,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
  path: string | null,
): PendingSource {
  const readable = () => path === null || exists(path);
  const withRead = async <T>(fn: (sink: EventSink) => Promise<T>, none: T): Promise<T> => {
    if (!readable()) return none;
    const sink = await openReadLog(ctx.io, agent, dbFlag);
    try {
      return await fn(sink);
    } finally {
      await sink.close();
    }
  };
  return {
    list: () =>
      withRead(async (sink) => {
        const { pendingApprovals } = await import("../runner/approvals.ts");
        return (await pendingApprovals(sink)).filter((a) => a.state === "awaiting").map((a) => ({
          id: a.approvalId,
          kind: "approval",
          run: a.runId,
          created_at: a.pausedAt,
          summary: sanitizeForOperator(
            `${a.tool ?? "(no call)"} ${JSON.stringify(a.args ?? {})} (${
              a.detail ?? a.reason ?? ""
            })`,
          ),
        } satisfies PendingItem));
      }, [] as PendingItem[]),
    verdict: async (id: string, body: PendingVerdict): Promise<PendingAnswer> => {
      const { pendingApprovals, resolveApproval } = await import("../runner/approvals.ts");
      const hit = await withRead(
        async (sink) => (await pendingApprovals(sink)).find((a) => a.approvalId === id),
        undefined,
      );
      if (hit === undefined) return NOT_FOUND;
      if (body.action !== "approve" && body.action !== "reject") {
        return {
          status: 400,
          body: { error: "bad_action", message: "an approval takes approve or reject" },
        };
      }
      if (body.run !== undefined && body.run !== hit.runId) {
        return {
          status: 409,
          body: { error: "tuple_mismatch", message: "the approval belongs to another run" },
        };
      }
      if (hit.state !== "awaiting") {
        return { status: 409, body: { error: "already_decided" } };
      }
      const log = await openRunLog(ctx.io, agent, dbFlag);
      try {
        await resolveApproval(log.sink, {
          run: hit.runId,
          approvalId: id,
          decision: body.action,
          actor: body.by,
          reason: body.reason ?? null,
        });
      } catch (e) {
        if (e instanceof UserError) {
          return { status: 409, body: { error: "already_decided", message: e.message } };
        }
        throw e;
      } finally {
        await log.sink.close();
      }
      return {
        status: 200,
        body: {
          kind: "approval",
          outcome: "resolved",
          run: hit.runId,
          decision: body.action,
          resumed: false,
          message:
            "the verdict is in the event log; the server does not resume runs: resume it with resumeRun (runner/approvals.ts)",
        },
      };
    },
  };
}

/** The pending sources of a `zu serve` started with `ctx`: clearances, then approvals. */
export async function servePendingSources(ctx: CommandContext): Promise<PendingSource[]> {
  const dbFlag = str(ctx, "db");
  const agent = dbFlag ? null : await optionalAgent(ctx.io, undefined);
  const path = clearanceDbPathOf(ctx.io, agent, dbFlag);
  const { clearancePendingSource } = await import(
    "../runner/clearance/clearance_pending_source.ts"
  );
  const { ClearanceInbox } = await import("../sinks/sqlite/clearance_inbox.ts");
  const clearances = clearancePendingSource({
    open: async () => {
      if (path === null || !exists(path)) return null;
      const sink = await openReadLog(ctx.io, agent, dbFlag);
      let inbox;
      try {
        inbox = new ClearanceInbox(path);
      } catch (e) {
        await sink.close();
        throw e;
      }
      return {
        sink,
        inbox,
        close: async () => {
          inbox.close();
          await sink.close();
        },
      };
    },
  });
  return [clearances, approvalSource(ctx, agent, dbFlag, path)];
}
