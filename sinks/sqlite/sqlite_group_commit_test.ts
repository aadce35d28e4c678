import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { verifyChain } from "../../core/chain.ts";
import { newEvent } from "../../core/events.ts";
import { SqliteSink } from "./mod.ts";

Deno.test("SqliteSink acknowledges each of many concurrent appends only once another connection sees it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu-ack-" });
  try {
    const path = `${dir}/zu.db`;
    await using sink = new SqliteSink(path);
    await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
    // A second connection only ever sees committed rows.
    const observer = new DatabaseSync(path, { readOnly: true });
    const probe = observer.prepare("SELECT 1 AS ok FROM events WHERE event_id = ?");
    let unseen = 0;
    const acks = Array.from(
      { length: 200 },
      (_, i) =>
        sink.append(
          newEvent({ task_id: i % 2 ? "t" : "u", type: "harness.turn.started", payload: { i } }),
        )
          .then((e) => {
            if (probe.get(e.event_id) === undefined) unseen++;
            return e;
          }),
    );
    const stored = await Promise.all(acks);
    observer.close();
    assert.equal(unseen, 0);
    assert.equal(await sink.count(), 201);
    assert.deepEqual(verifyChain(await sink.query({ trace_id: "t" })), []);
    assert.deepEqual(verifyChain(await sink.query({ trace_id: "u" })), []);
    assert.equal(new Set(stored.map((e) => e.hash)).size, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteSink rejects only the bad event of a shared transaction", async () => {
  await using sink = new SqliteSink(":memory:");
  const good = Array.from(
    { length: 5 },
    (_, i) => newEvent({ task_id: "t", type: "harness.turn.started", payload: { i } }),
  );
  const bad = newEvent({ task_id: "t", type: "harness.turn.started", payload: { f: () => 1 } });
  const results = await Promise.allSettled(
    [...good.slice(0, 2), bad, ...good.slice(2)].map((e) => sink.append(e)),
  );
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
    "fulfilled",
    "fulfilled",
  ]);
  const rejected = results[2] as PromiseRejectedResult;
  assert.ok(rejected.reason instanceof TypeError);
  assert.match(
    rejected.reason.message,
    new RegExp(`Cannot append event "${bad.event_id}": it is not JSON-serialisable`),
  );
  const events = await sink.query({});
  assert.equal(events.length, 5);
  assert.deepEqual(verifyChain(events), []);
});
