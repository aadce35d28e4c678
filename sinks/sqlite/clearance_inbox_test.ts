import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { ClearanceInbox, type InboxVerdict } from "./clearance_inbox.ts";
import { SqliteSink } from "./sqlite_sink.ts";

const V: InboxVerdict = {
  request_id: "q1",
  run_id: "r1",
  host: "a.test",
  port: 443,
  action: "allow",
  scope: "once",
  actor: "t",
  reason: null,
  ttl_ms: null,
};

Deno.test("ClearanceInbox: one live verdict per request, claimed once, given up only if unclaimed", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using sink = new SqliteSink(db); // the event log's own file
  using a = new ClearanceInbox(db);
  using b = new ClearanceInbox(db);
  const first = a.post(V);
  ok("id" in first);
  const again = b.post({ ...V, action: "deny" });
  ok("duplicate" in again && again.duplicate.action === "allow");
  equal(a.claim(["r2"], 8).length, 0); // another run's desk does not see it
  const claimed = a.claim(["r1"], 8);
  equal(claimed.length, 1);
  equal(b.claim(["r1"], 8).length, 0); // taken once
  equal(b.abandon(first.id, { code: "no_live_run" }), false); // too late to give up
  a.settle(first.id, "applied", { ok: 1 });
  deepEqual(b.get(first.id)?.answer, { ok: 1 });
  // Given up before any claim: no desk takes it later, and the request may get a new verdict.
  const second = a.post({ ...V, request_id: "q2" });
  ok("id" in second);
  equal(b.abandon(second.id, { code: "no_live_run" }), true);
  equal(a.claim(["r1"], 8).length, 0);
  ok("id" in a.post({ ...V, request_id: "q2" }));
  // Bounded claims.
  for (let i = 0; i < 5; i++) a.post({ ...V, request_id: `many${i}` });
  equal(a.claim(["r1"], 2).length, 2);
  equal(a.since(0, 100).length, 8);
  equal(await sink.count(), 0);
});
