import { deepEqual, equal } from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import type { Event } from "../core/events.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { copyLog } from "./_copy_log.ts";

async function ids(sink: { stream(): AsyncIterable<Event> }): Promise<string[]> {
  const out: string[] = [];
  for await (const e of sink.stream()) out.push(e.event_id);
  return out;
}

Deno.test("copyLog keeps the source's order, hashes and ids, batched or one at a time", async () => {
  await using src = new MemorySink();
  for (let i = 0; i < 25; i++) {
    await src.append(
      newEvent({ task_id: `t${i % 3}`, type: "harness.tool.invoked", payload: { i } }),
    );
  }
  for (const batchInOrder of [true, false]) {
    await using dst = new SqliteSink(":memory:");
    const r = await copyLog(src, dst, { batchInOrder, page: 7, every: 10 });
    deepEqual([r.read, r.copied, r.present, r.traces, r.broken], [25, 25, 0, 3, []]);
    deepEqual(await ids(dst), await ids(src));
    const hashes = async (s: { stream(): AsyncIterable<Event> }) => {
      const out: (string | null | undefined)[] = [];
      for await (const e of s.stream()) out.push(e.hash);
      return out;
    };
    deepEqual(await hashes(dst), await hashes(src));
    const again = await copyLog(src, dst, { batchInOrder });
    deepEqual([again.copied, again.present], [0, 25]);
  }
});

Deno.test("copyLog reports a broken chain in the target", async () => {
  await using src = new MemorySink();
  const a = await src.append(newEvent({ task_id: "t", type: "harness.task.started" }));
  await using dst = new MemorySink();
  // The target already holds a different head for the trace: the copied event no longer links.
  await dst.append(newEvent({ task_id: "t", trace_id: a.trace_id, type: "harness.task.started" }));
  const r = await copyLog(src, dst);
  equal(r.broken.length, 1);
  equal(r.broken[0]!.trace, a.trace_id);
});
