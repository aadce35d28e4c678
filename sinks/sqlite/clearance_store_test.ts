import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteClearanceStore } from "./clearance_store.ts";
import { SqliteSink } from "./sqlite_sink.ts";
import { DatabaseSync } from "./node_sqlite.ts";
import { newEvent } from "../../core/events.ts";
import type { ClearanceRule } from "../../core/types.ts";

const RULE: ClearanceRule = {
  host: "a.test",
  port: 443,
  action: "allow",
  scope: "persist",
  ttl_until: null,
  actor: "alice",
  reason: null,
  created: "2026-01-01T00:00:00.000Z",
  run_id: "run-1",
  request_id: "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
};

Deno.test("SqliteClearanceStore keeps its rules in the event log's file, across reopening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_clear_" });
  const path = join(dir, "zu.db");
  try {
    await using sink = new SqliteSink(path);
    await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
    {
      await using store = new SqliteClearanceStore(path);
      await store.save(RULE);
      await store.save({
        ...RULE,
        host: "b.test",
        action: "deny",
        reason: "no",
        ttl_until: "2030-01-01T00:00:00.000Z",
      });
    }
    await using again = new SqliteClearanceStore(path);
    const rules = await again.load();
    assert.deepEqual(rules.map((r) => [r.host, r.action, r.reason, r.ttl_until]), [
      ["a.test", "allow", null, null],
      ["b.test", "deny", "no", "2030-01-01T00:00:00.000Z"],
    ]);
    assert.deepEqual(rules[0], RULE);
    assert.equal(await sink.count(), 1);
    const db = new DatabaseSync(path);
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all().map((r) => r.name);
      assert.ok(tables.includes("events") && tables.includes("clearances"), String(tables));
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteClearanceStore refuses a file that is not an SQLite database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_clear_" });
  const path = join(dir, "not.db");
  try {
    await Deno.writeTextFile(path, "x".repeat(200));
    assert.throws(() => new SqliteClearanceStore(path), /not an SQLite database/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
