import assert from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import { ListSink } from "./_list_sink.ts";

Deno.test("ListSink keeps events in order, unlinked, and refuses a filter", async () => {
  const sink = new ListSink();
  const a = newEvent({ task_id: "t", type: "harness.task.started" });
  const b = newEvent({ task_id: "t", type: "harness.task.completed" });
  assert.equal(await sink.append(a), a);
  await sink.append(b);
  const all = await sink.query();
  assert.deepEqual(all.map((e) => e.type), ["harness.task.started", "harness.task.completed"]);
  assert.equal(all[0]!.hash, null);
  assert.equal(await sink.count(), 2);
  await assert.rejects(sink.query({ type: "harness.task.started" }), /Cannot filter a ListSink/);
  await sink.close();
});

Deno.test("replayOffline links events by default and leaves them unlinked when asked", async () => {
  const { assembleRun, loadAgentConfig } = await import("../agent/config.ts");
  const { readBundle } = await import("./bundle.ts");
  const { replayOffline } = await import("./offline.ts");
  const dir = new URL("./testdata/agents/bookshop-clean", import.meta.url).pathname;
  const assembled = await assembleRun(await loadAgentConfig(dir));
  const bundle = await readBundle(`${dir}/fixtures/capture.json`);
  const linked = await replayOffline(assembled, bundle);
  const lean = await replayOffline(assembled, bundle, { linkEvents: false });
  assert.ok(linked.events.every((e) => typeof e.hash === "string"));
  assert.ok(lean.events.every((e) => e.hash === null));
  assert.deepEqual(lean.events.map((e) => e.type), linked.events.map((e) => e.type));
  assert.deepEqual(lean.result, linked.result);
});
