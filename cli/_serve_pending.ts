/**
 * What `zu serve` lists at `GET /v1/pending` and sends verdicts to: held clearances of live runs
 * (a verdict reaches the live run through its event database) and runs paused for an approval
 * (a verdict goes through `zu approve|reject` in this process: written, then the run resumed
 * in the jail from its events, answered when it ends). The log read is the serve command's `--db`, else the
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
import { sanitizeForOperator } from "../backends/egress/clearance/sanitize.ts";
import { type CommandContext, str } from "./_command.ts";
import { type LoadedAgent, optionalAgent } from "./_agent.ts";
import { exists, openReadLog } from "./_event_log.ts";
import { clearanceDbPathOf } from "./_clearance_db.ts";

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
      const { pendingApprovals } = await import("../runner/approvals.ts");
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
      // The verdict goes through `zu approve|reject` in this process: the same checks, the
      // verdict written, then the run resumed in the jail from its events (answered when it ends).
      return await approveInProcess(ctx, {
        run: hit.runId,
        id,
        decision: body.action,
        by: body.by,
        reason: body.reason,
        dbFlag,
        agentDir: agent?.dir,
      });
    },
  };
}

interface InProcessVerdict {
  run: string;
  id: string;
  decision: "approve" | "reject";
  by: string;
  reason: string | undefined;
  dbFlag: string | undefined;
  agentDir: string | undefined;
}

async function approveInProcess(ctx: CommandContext, v: InProcessVerdict): Promise<PendingAnswer> {
  const args = [
    v.decision,
    v.run,
    `--approval=${v.id}`,
    `--by=${v.by}`,
    "--json",
    ...(v.reason !== undefined ? [`--reason=${v.reason}`] : []),
    ...(v.dbFlag !== undefined ? [`--db=${v.dbFlag}`] : []),
    ...(v.agentDir !== undefined ? [`--agent=${v.agentDir}`] : []),
  ];
  const { callCli } = await import("./cli_call.ts");
  const { code, stdout, stderr } = await callCli(ctx.io, args);
  const line = sanitizeForOperator(stderr.trim().split("\n").at(-1) ?? "");
  if (code === 2) return { status: 409, body: { error: "already_decided", message: line } };
  let outcome: unknown = null;
  try {
    outcome = JSON.parse(stdout);
  } catch {
    outcome = null;
  }
  if (outcome === null) {
    return { status: 500, body: { error: "resume_failed", message: line } };
  }
  return {
    status: 200,
    body: {
      kind: "approval",
      outcome: "resumed",
      run: v.run,
      decision: v.decision,
      resumed: true,
      result: outcome,
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
