/**
 * `zu pending`: what waits on a human in the event log. Today: runs paused for an approval
 * (`zu approve` / `zu reject`). Live clearances of blocked hosts are another door's items; they
 * join this list through {@link PENDING_SOURCES} (one reader per kind).
 *
 * @module
 */
import type { EventSink } from "../core/types.ts";
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { findAgentFile, loadAgent, type LoadedAgent } from "./_agent.ts";
import { openReadLog } from "./_event_log.ts";
import { printable } from "./_printable.ts";

/** One pending item as `zu pending` prints it. */
export interface PendingRow {
  /** `approval` (or `clearance`, from the clearance door). */
  kind: string;
  /** The id to give a verdict on. */
  id: string;
  /** The run it belongs to. */
  run: string;
  /** One line: what is asked. */
  summary: string;
  /** The full item, for `--json`. */
  item: unknown;
}

/** The readers of pending items, one per kind; the clearance door adds its own here. */
export const PENDING_SOURCES: ((sink: EventSink) => Promise<PendingRow[]>)[] = [
  async (sink) => {
    const { pendingApprovals } = await import("../runner/approvals.ts");
    return (await pendingApprovals(sink)).map((a) => ({
      kind: "approval",
      id: a.approvalId,
      run: a.runId,
      summary: `${
        a.state === "awaiting"
          ? "awaiting"
          : `${a.resolution?.decision} by ${a.resolution?.by}, not resumed`
      }: ${a.tool ?? "(no call)"} ${JSON.stringify(a.args ?? {})} (${a.detail ?? a.reason ?? ""})`,
      item: a,
    }));
  },
];

async function readerAgent(arg: string | undefined, io: Parameters<typeof loadAgent>[0]) {
  let file: string | null = null;
  try {
    file = findAgentFile(io, arg ?? ".");
  } catch (err) {
    if (arg !== undefined) throw err;
  }
  return file === null ? null : await loadAgent(io, file);
}

/** `zu pending`. */
export const pendingCommand: CommandDef = {
  name: "pending",
  summary: "List what waits on a human: runs paused for an approval",
  description: `Each row is a run paused for a verdict (harness.run.paused with no
harness.run.resumed after it): its approval id, the run, the call it is bound to and what asked.
Give the verdict with "zu approve <run>" or "zu reject <run>".`,
  flags: {
    db: {
      type: "string",
      placeholder: "path",
      description: "Event log (default: the agent's event_sink, else .zu/events.db)",
    },
    agent: {
      type: "string",
      placeholder: "path",
      description: "Read the event_sink of this agent (default: ./agent.yaml when present)",
    },
    json: { type: "boolean", description: "Print JSON instead of text" },
  },
  examples: ["zu pending", "zu pending --db runs.db --json"],
  run: async (ctx) => {
    const dbFlag = str(ctx, "db");
    const agent: LoadedAgent | null = dbFlag ? null : await readerAgent(str(ctx, "agent"), ctx.io);
    const sink = await openReadLog(ctx.io, agent, dbFlag);
    try {
      const rows: PendingRow[] = [];
      for (const source of PENDING_SOURCES) rows.push(...await source(sink));
      if (bool(ctx, "json")) {
        printJson(
          ctx.io,
          rows.map((r) => ({ kind: r.kind, id: r.id, run: r.run, ...(r.item as object) })),
        );
        return 0;
      }
      if (rows.length === 0) ctx.io.stdout("nothing pending\n");
      for (const r of rows) {
        ctx.io.stdout(`${r.kind}  ${r.id}  run=${r.run}  ${printable(r.summary)}\n`);
      }
      return 0;
    } finally {
      await sink.close();
    }
  },
};
