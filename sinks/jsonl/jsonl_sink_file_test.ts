import assert from "node:assert/strict";
import { verifyChain } from "../../core/chain.ts";
import { newEvent } from "../../core/events.ts";
import { toZuJson } from "../../core/json.ts";
import { compatText } from "../../core/_test_compat.ts";
import { JsonlSink } from "./mod.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu-jsonl-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("JsonlSink writes one zu JSON line per event and creates parent directories", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/a/b/c/trace.jsonl`;
    const sink = new JsonlSink(path);
    const a = await sink.append(
      newEvent({ task_id: "t", type: "harness.task.started", payload: { q: "é\u2028" } }),
    );
    const b = await sink.append(newEvent({ task_id: "t", type: "harness.turn.started" }));
    await sink.close();
    assert.equal(await Deno.readTextFile(path), `${toZuJson(a)}\n${toZuJson(b)}\n`);
  });
});

Deno.test("JsonlSink skips a torn last line with a warning and appends on a fresh line", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/trace.jsonl`;
    const warnings: string[] = [];
    {
      await using sink = new JsonlSink(path);
      await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
      await sink.append(newEvent({ task_id: "t", type: "harness.turn.started" }));
    }
    const good = await Deno.readTextFile(path);
    const torn = toZuJson(newEvent({ task_id: "t", type: "harness.turn.completed" })).slice(0, 40);
    await Deno.writeTextFile(path, good + torn);
    await using sink = new JsonlSink(path, { onWarning: (m) => warnings.push(m) });
    assert.equal((await sink.query()).length, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /line 3 .*torn/);
    const c = await sink.append(newEvent({ task_id: "t", type: "harness.turn.completed" }));
    const stored = await sink.queryWithSeq!({});
    assert.deepEqual(stored.map((s) => s.seq), [1, 2, 4]);
    assert.equal(stored[2]!.event.event_id, c.event_id);
    assert.deepEqual((await sink.queryWithSeq!({}, { afterSeq: 2 })).map((s) => s.seq), [4]);
    assert.deepEqual(verifyChain(stored.map((s) => s.event)), []);
    assert.ok((await Deno.readTextFile(path)).endsWith(`${torn}\n${toZuJson(c)}\n`));
  });
});

Deno.test("JsonlSink reads zu's own JSON lines, raw U+2028 included, and their chain verifies", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/chain.jsonl`;
    const text = compatText("chain/chain.jsonl");
    await Deno.writeTextFile(path, text);
    await using sink = new JsonlSink(path);
    const events = await sink.query();
    assert.equal(events.length, text.split("\n").filter((l) => l !== "").length);
    assert.deepEqual(verifyChain(events), []);
    assert.equal(events.map((e) => toZuJson(e) + "\n").join(""), text);
  });
});

Deno.test("JsonlSink warns about a malformed middle line and keeps line ordinals as seq", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/trace.jsonl`;
    const a = toZuJson(newEvent({ task_id: "t", type: "harness.task.started" }));
    const b = toZuJson(newEvent({ task_id: "t", type: "harness.task.started" }));
    await Deno.writeTextFile(path, `${a}\nnot json\n${b}\n`);
    const warnings: string[] = [];
    await using sink = new JsonlSink(path, { onWarning: (m) => warnings.push(m) });
    assert.deepEqual((await sink.queryWithSeq!({})).map((s) => s.seq), [1, 3]);
    assert.match(warnings[0]!, /line 2 .*not an event/);
  });
});

Deno.test("JsonlSink reads nothing from a file that does not exist yet", async () => {
  await inTemp(async (dir) => {
    await using sink = new JsonlSink(`${dir}/none.jsonl`);
    assert.equal(await sink.count(), 0);
    assert.deepEqual(await sink.query(), []);
  });
});
