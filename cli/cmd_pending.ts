/**
 * `zu pending`: what waits on a human in the event log: requests of live runs held for clearance
 * of a blocked host (`zu clear allow|deny`) and runs paused for an approval (`zu approve` /
 * `zu reject`), one reader per kind in {@link PENDING_SOURCES}.
 *
 * @module
 */
import type { EventSink } from "../core/types.ts";
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { type LoadedAgent, optionalAgent } from "./_agent.ts";
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

function secondsLeft(deadline: string): string {
  const ms = Date.parse(deadline) - Date.now();
  return Number.isFinite(ms) ? `${Math.max(0, Math.ceil(ms / 1000))}s left` : "no deadline";
}

/** The readers of pending items, one per kind. */
export const PENDING_SOURCES: ((sink: EventSink) => Promise<PendingRow[]>)[] = [
  async (sink) => {
    const { pendingClearances } = await import("../runner/clearance/pending_clearances.ts");
    return (await pendingClearances(sink)).map((c) => ({
      kind: "clearance",
      id: c.request_id,
      run: c.run_id,
      summary:
        `${c.scheme} ${c.host}:${c.port} held, ${c.count} request(s), deadline ${c.deadline} (${
          secondsLeft(c.deadline)
        })`,
      item: c,
    }));
  },
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

/** `zu pending`. */
export const pendingCommand: CommandDef = {
  name: "pending",
  summary:
    "List what waits on a human: held requests to blocked hosts, runs paused for an approval",
  description: `A "clearance" row is a request of a live run to a host outside its allowlist,
held until a verdict or its deadline (harness.egress.pending with no verdict yet): its request id,
the run, host:port and the deadline. Give the verdict with "zu clear allow <id>" or
"zu clear deny <id>". An "approval" row is a run paused for a verdict (harness.run.paused with no
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
    const agent: LoadedAgent | null = dbFlag
      ? null
      : await optionalAgent(ctx.io, str(ctx, "agent"));
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
        ctx.io.stdout(
          `${r.kind}  ${printable(r.id, 64)}  run=${printable(r.run, 80)}  ${
            printable(r.summary, 400)
          }\n`,
        );
      }
      return 0;
    } finally {
      await sink.close();
    }
  },
};
