/**
 * `pending` and `verdict`: what waits for a human, and the verdict on one item. Items come from
 * the pending sources `zu serve` has (live clearances, approvals) and from `zu pending`'s reading
 * of the event log (paused runs); a verdict goes to the source that issued the id, else (for a
 * paused run) through `zu approve` / `zu reject`, which resume the run in the jail.
 *
 * @module
 */
import type { PendingItem, PendingVerdict } from "../../core/types.ts";
import {
  cliJson,
  firstLine,
  flagArgs,
  type McpTool,
  strArg,
  type ToolContext,
  ToolError,
} from "./_tool.ts";

/** Who a verdict given through this door is recorded as. */
export const MCP_ACTOR = "mcp";

interface ApprovalRow {
  kind?: unknown;
  id?: unknown;
  run?: unknown;
  query?: unknown;
  tool?: unknown;
  args?: unknown;
  reason?: unknown;
  detail?: unknown;
  state?: unknown;
  pausedAt?: unknown;
}

/** The paused runs `zu pending` reads from the log (none when there is no log yet). */
async function approvalRows(ctx: ToolContext, db: string | undefined): Promise<ApprovalRow[]> {
  try {
    const rows = await cliJson(ctx, ["pending", ...flagArgs({ db })]);
    return Array.isArray(rows) ? rows as ApprovalRow[] : [];
  } catch (err) {
    if (
      err instanceof ToolError &&
      /^pending: Cannot open event log .* does not exist/.test(err.message)
    ) {
      return [];
    }
    throw err;
  }
}

function approvalItem(r: ApprovalRow): Record<string, unknown> {
  return {
    id: r.id,
    kind: "approval",
    run: r.run,
    state: r.state,
    created_at: r.pausedAt,
    query: r.query,
    tool: r.tool,
    args: r.args,
    summary: `${r.state}: ${String(r.tool ?? "(no call)")} (${String(r.detail ?? r.reason ?? "")})`,
    verdicts: ["approve", "reject"],
  };
}

function sourceItem(item: PendingItem): Record<string, unknown> {
  return {
    ...item,
    verdicts: item.kind === "clearance" ? ["allow", "deny"] : ["approve", "reject"],
  };
}

const DB = {
  type: "string",
  description: "Event log of the paused runs (default: the server's --db, else .zu/events.db)",
} as const;

/** `pending`: what waits for a human now. */
export const pendingTool: McpTool = {
  name: "pending",
  description:
    "List what waits for a human: held egress requests (clearance: host and port a run asked for) and runs paused for an approval. Give a verdict with the `verdict` tool, echoing the item's id, run (and host and port for a clearance).",
  args: { properties: { db: DB } },
  call: async (args, ctx) => {
    const items: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    for (const source of await ctx.doors.pendingSources()) {
      for (const item of await source.list()) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        items.push(sourceItem(item));
      }
    }
    for (const row of await approvalRows(ctx, strArg(args, "db") ?? ctx.doors.db)) {
      if (typeof row.id !== "string" || seen.has(row.id)) continue;
      seen.add(row.id);
      items.push(approvalItem(row));
    }
    return { pending: items.slice(0, 200), total: items.length };
  },
};

function answerLine(body: unknown, status: number): string {
  const b = (body ?? {}) as { error?: unknown; message?: unknown };
  const what = typeof b.message === "string" ? b.message : String(b.error ?? `status ${status}`);
  return firstLine(what);
}

/** `verdict`: allow/deny a clearance, approve/reject a paused run. */
export const verdictTool: McpTool = {
  name: "verdict",
  description:
    "Give a human's verdict on a pending item (from `pending`): allow or deny a held egress request (scope once, run or persist), approve or reject a paused run (the run then resumes in the jail and its outcome is returned). Echo the item's run (and host and port): a mismatch is refused.",
  args: {
    properties: {
      id: { type: "string", description: "The item's id, as `pending` lists it", maxLength: 200 },
      action: {
        type: "string",
        description: "allow/deny (clearance) or approve/reject (approval)",
        enum: ["allow", "deny", "approve", "reject"],
      },
      run: { type: "string", description: "The run the item belongs to", maxLength: 200 },
      host: { type: "string", description: "Clearance: the host shown", maxLength: 300 },
      port: {
        type: "integer",
        description: "Clearance: the port shown",
        minimum: 1,
        maximum: 65535,
      },
      scope: {
        type: "string",
        description: "Clearance: how long an allow lasts (default once)",
        enum: ["once", "run", "persist"],
      },
      reason: {
        type: "string",
        description: "Why; on a rejection this is what the model reads",
        maxLength: 1000,
      },
      agent: {
        type: "string",
        description: "Approval: the agent the run belongs to, resumed in the jail (default: .)",
      },
      db: DB,
    },
    required: ["id", "action"],
  },
  call: async (args, ctx) => {
    const id = strArg(args, "id")!;
    const action = strArg(args, "action") as PendingVerdict["action"];
    const run = strArg(args, "run");
    const host = strArg(args, "host");
    const reason = strArg(args, "reason");
    const scope = strArg(args, "scope") as PendingVerdict["scope"];
    const verdict: PendingVerdict = {
      action,
      by: MCP_ACTOR,
      ...(run !== undefined ? { run } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(typeof args.port === "number" ? { port: args.port } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(reason !== undefined ? { reason } : {}),
    };
    // A clearance goes to the pending sources; an approval goes through `zu approve|reject`
    // below, which honours the call's `agent` and `db` and returns the resumed run's outcome.
    const approval = action === "approve" || action === "reject";
    for (const source of approval ? [] : await ctx.doors.pendingSources()) {
      const answer = await source.verdict(id, verdict);
      if (answer.status === 404) continue;
      if (answer.status !== 200) {
        throw new ToolError(`verdict: ${answerLine(answer.body, answer.status)}`);
      }
      return { applied: true, id, action, answer: answer.body };
    }
    const shown = JSON.stringify(id.slice(0, 80));
    if (action !== "approve" && action !== "reject") {
      throw new ToolError(`verdict: no pending clearance has id ${shown}`);
    }
    const db = strArg(args, "db") ?? ctx.doors.db;
    const row = (await approvalRows(ctx, db)).find((r) => r.id === id);
    if (!row || typeof row.run !== "string") {
      throw new ToolError(`verdict: no pending approval has id ${shown}`);
    }
    if (run !== undefined && run !== row.run) {
      throw new ToolError(
        `verdict: approval ${shown} belongs to another run than ${
          JSON.stringify(run.slice(0, 80))
        }`,
      );
    }
    const outcome = await cliJson(ctx, [
      action,
      row.run,
      ...flagArgs({
        approval: id,
        agent: strArg(args, "agent") ?? ".",
        db,
        by: MCP_ACTOR,
        reason,
      }),
    ]);
    return { applied: true, id, action, run: row.run, outcome };
  },
};
