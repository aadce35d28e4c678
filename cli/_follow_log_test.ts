import { deepEqual } from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import type { EventFilter, EventSink, QueryOptions, StoredEvent } from "../core/types.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { followLog } from "./_follow_log.ts";

/** A log where seq 2 commits after seq 3: visible rows are set by the test between polls. */
function lateCommitLog(): { sink: EventSink; rows: StoredEvent[]; visible: Set<number> } {
  const rows = [1, 2, 3, 4].map((seq) => ({
    seq,
    event: newEvent({ task_id: "t", type: "harness.tool.invoked", payload: { seq } }),
  }));
  const visible = new Set([1, 3]);
  const inner = new MemorySink();
  const sink: EventSink = {
    append: (e) => inner.append(e),
    query: (f, o) => inner.query(f, o),
    stream: (f, o) => inner.stream(f, o),
    count: (f) => inner.count(f),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
    queryWithSeq: (_f?: EventFilter, o?: QueryOptions) =>
      Promise.resolve(
        rows.filter((r) => visible.has(r.seq) && r.seq > (o?.afterSeq ?? 0)).slice(0, o?.limit),
      ),
  };
  return { sink, rows, visible };
}

Deno.test("followLog prints an event that commits after a later-numbered one, once", async () => {
  const { sink, rows, visible } = lateCommitLog();
  const printed: number[] = [];
  let polls = 0;
  await followLog(sink, {}, (batch) => {
    printed.push(...batch.map((r) => r.seq));
  }, {
    after: 3,
    printed: rows.filter((r) => visible.has(r.seq)),
    intervalMs: 1,
    maxPolls: 3,
    lookback: 10,
  });
  deepEqual(printed.length, 0, "nothing new was visible");
  visible.add(2);
  visible.add(4);
  await followLog(sink, {}, (batch) => {
    polls++;
    printed.push(...batch.map((r) => r.seq));
  }, {
    after: 3,
    printed: rows.filter((r) => r.seq === 1 || r.seq === 3),
    intervalMs: 1,
    maxPolls: 3,
    lookback: 10,
  });
  deepEqual(printed, [2, 4], "the late event 2 is printed, and nothing twice");
  deepEqual(polls, 1);
});
