/**
 * `events`: the runs in an event log (newest last), or one run's events from a sequence number
 * on, a bounded page at a time.
 *
 * @module
 */
import {
  RUN_PAUSED,
  RUN_RESUMED,
  TASK_COMPLETED,
  TASK_ESCALATED,
  TASK_STARTED,
  TASK_TERMINAL,
} from "../../core/events.ts";
import type { Event } from "../../core/events.ts";
import type { EventSink } from "../../core/types.ts";
import { boundedJson, MAX_RESULT_CHARS } from "./_bounded.ts";
import { type McpTool, strArg, ToolError } from "./_tool.ts";

async function runStatus(sink: EventSink, run: string): Promise<string> {
  const n = (type: string) => sink.count({ task_id: run, type });
  if (await n(TASK_COMPLETED)) return "completed";
  if (await n(TASK_TERMINAL)) return "terminal";
  if (await n(TASK_ESCALATED)) return "escalated";
  if (await n(RUN_PAUSED) > await n(RUN_RESUMED)) return "paused";
  return "unfinished";
}

async function listRuns(sink: EventSink, limit: number): Promise<unknown> {
  const starts = (await sink.query({ type: TASK_STARTED })).filter((e, i, all) =>
    all.findIndex((o) => o.task_id === e.task_id) === i
  );
  const shown = starts.slice(-limit);
  const runs = [];
  for (const e of shown) {
    runs.push({
      run: e.task_id,
      trace_id: e.trace_id,
      query: typeof e.payload.query === "string" ? e.payload.query : null,
      started_at: e.ts,
      status: await runStatus(sink, e.task_id),
      events: await sink.count({ task_id: e.task_id }),
    });
  }
  return { runs, total: starts.length, shown: runs.length };
}

async function resolveRun(sink: EventSink, prefix: string): Promise<string> {
  const ids = new Set((await sink.query({ type: TASK_STARTED })).map((e) => e.task_id));
  if (ids.has(prefix)) return prefix;
  const hits = [...ids].filter((id) => id.startsWith(prefix));
  if (hits.length === 1) return hits[0]!;
  const shown = JSON.stringify(prefix.slice(0, 80));
  if (hits.length === 0) throw new ToolError(`events: no run ${shown} in the event log`);
  throw new ToolError(`events: run ${shown} is ambiguous (${hits.length} runs start with it)`);
}

async function runEvents(
  sink: EventSink,
  run: string,
  options: { afterSeq: number; limit: number; type?: string },
): Promise<unknown> {
  const filter = { task_id: run, ...(options.type ? { type: options.type } : {}) };
  const q = { afterSeq: options.afterSeq, limit: options.limit + 1 };
  const rows: { seq: number | null; event: Event }[] = sink.queryWithSeq
    ? (await sink.queryWithSeq(filter, q)).map((r) => ({ seq: r.seq, event: r.event }))
    : (await sink.query(filter, q)).map((event) => ({ seq: null, event }));
  // Without sequence numbers (a sink that keeps none) there is nothing to page on.
  let more = rows.length > options.limit && sink.queryWithSeq !== undefined;
  let page = rows.slice(0, options.limit).map((r) => ({
    seq: r.seq,
    type: r.event.type,
    ts: r.event.ts,
    source: r.event.source,
    event_id: r.event.event_id,
    payload: r.event.payload,
  }));
  // Keep the JSON whole: drop events from the end until the page fits.
  const view = () => ({
    run,
    events: page,
    more,
    next_after_seq: page.at(-1)?.seq ?? options.afterSeq,
  });
  while (page.length > 1 && boundedJson(view(), Infinity).length > MAX_RESULT_CHARS - 200) {
    page = page.slice(0, Math.max(1, Math.floor(page.length / 2)));
    more = true;
  }
  return view();
}

/** `events`: list runs, or read one run's events. */
export const eventsTool: McpTool = {
  name: "events",
  description:
    "Read zu's event log. Without `run`: the runs it holds (id, query, status, event count; the newest `limit`). With `run` (a run id or a unique prefix): that run's events after `after_seq`, at most `limit`; page on with `next_after_seq` while `more` is true.",
  args: {
    properties: {
      run: { type: "string", description: "A run (task id, or a unique prefix)" },
      db: {
        type: "string",
        description: "Event log to read (default: the server's --db, else .zu/events.db)",
      },
      type: { type: "string", description: "Only events of this type (with run)" },
      after_seq: {
        type: "integer",
        description: "Only events after this sequence number (with run)",
        minimum: 0,
      },
      limit: {
        type: "integer",
        description: "At most this many runs or events (default 20 runs, 50 events)",
        minimum: 1,
        maximum: 200,
      },
    },
  },
  call: async (args, ctx) => {
    if (args.run === undefined && (args.type !== undefined || args.after_seq !== undefined)) {
      throw new ToolError('events: "type" and "after_seq" read one run\'s events; give "run"');
    }
    const sink = await ctx.doors.openLog(strArg(args, "db"));
    try {
      const limit = typeof args.limit === "number" ? args.limit : undefined;
      const run = strArg(args, "run");
      if (run === undefined) return await listRuns(sink, limit ?? 20);
      const type = strArg(args, "type");
      return await runEvents(sink, await resolveRun(sink, run), {
        afterSeq: typeof args.after_seq === "number" ? args.after_seq : 0,
        limit: limit ?? 50,
        ...(type !== undefined ? { type } : {}),
      });
    } finally {
      await sink.close();
    }
  },
};
