import assert from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import { copyEvents } from "./copy_events.ts";
import { MemorySink } from "./memory/mod.ts";
import { SqliteSink } from "./sqlite/mod.ts";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";

Deno.test("copyEvents keeps ids, order, hashes and sigs, and a second run copies nothing", async () => {
  const signKey = new Uint8Array(32).fill(7);
  await using from = new SqliteSink(":memory:", { signKey });
  for (let i = 0; i < 25; i++) {
    await from.append(
      newEvent({ task_id: i % 3 ? A : B, type: "harness.turn.started", payload: { i } }),
    );
  }
  await using to = new SqliteSink(":memory:");
  const pages: number[] = [];
  const report = await copyEvents(from, to, {
    batchSize: 10,
    verify: true,
    signKey,
    onProgress: (n) => pages.push(n),
  });
  assert.deepEqual(report, {
    read: 25,
    copied: 25,
    traces: 2,
    violations: [],
    broken: [],
  });
  assert.deepEqual(pages, [10, 20, 25]);
  assert.deepEqual(await to.queryWithSeq!(), await from.queryWithSeq!());
  assert.equal((await copyEvents(from, to)).copied, 0);
  const only = await copyEvents(from, new MemorySink(), { filter: { trace_id: B } });
  assert.equal(only.read, await from.count({ trace_id: B }));
});

Deno.test("copyEvents refuses a target holding a different event under the same id", async () => {
  await using from = new MemorySink();
  await using to = new MemorySink();
  const e = newEvent({ task_id: A, type: "harness.task.started", payload: { n: 1 } });
  await from.append(e);
  await to.append(newEvent({ ...e, payload: { n: 2 } }));
  await assert.rejects(
    copyEvents(from, to),
    new RegExp(`Cannot copy event "${e.event_id}": the target holds a different event`),
  );
});

Deno.test("copyEvents reports the broken link when the target's trace already had events", async () => {
  await using from = new MemorySink();
  await using to = new MemorySink();
  await from.append(newEvent({ task_id: A, type: "harness.task.started" }));
  await to.append(newEvent({ task_id: A, type: "harness.task.started" }));
  const report = await copyEvents(from, to, { verify: true });
  assert.equal(report.copied, 1);
  assert.equal(report.violations.length, 1);
  assert.match(report.violations[0]!, /prev_hash break/);
});
