// The live run's poller: a database locked past its busy timeout poll after poll is a dead
// channel (reported once); a locked moment shorter than that is not.
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
import { ClearanceInbox } from "../../sinks/sqlite/clearance_inbox.ts";
import { DatabaseSync } from "../../sinks/sqlite/node_sqlite.ts";
import { startVerdictPoller } from "./_verdict_poller.ts";

const ROW = {
  request_id: "q",
  run_id: "r1",
  host: "a.test",
  port: 443,
  action: "allow" as const,
  scope: "once" as const,
  actor: "t",
  reason: null,
  ttl_ms: null,
};

Deno.test("a database locked poll after poll kills the channel; a short lock does not", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  using door = new ClearanceInbox(db);
  using inbox = new ClearanceInbox(db, { busyTimeoutMs: 20 });
  const desk = new ClearanceDesk({ holdMs: 60_000 });
  const locker = new DatabaseSync(db, { timeout: 1000 });
  // The poller's timer does not keep a process alive (by design): the test does.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    let deadWhy: string | null = null;
    let deadCalls = 0;
    const died = Promise.withResolvers<void>();
    const poller = startVerdictPoller({
      inbox,
      desk,
      path: db,
      runIds: () => ["r1"],
      intervalMs: 5,
      maxFailures: 10,
      onDead: (why) => {
        deadWhy = why;
        deadCalls++;
        died.resolve();
      },
    });
    // A short lock (fewer failed polls than the limit), then the row is taken and answered.
    door.post(ROW);
    locker.exec("BEGIN IMMEDIATE");
    await new Promise((r) => setTimeout(r, 60));
    locker.exec("COMMIT");
    let row = door.get(1);
    for (let i = 0; i < 500 && row?.state !== "refused"; i++) {
      await new Promise((r) => setTimeout(r, 5));
      row = door.get(1);
    }
    equal(row?.state, "refused"); // the desk does not know "q": refused, but the channel lives
    equal(deadCalls, 0);
    // A lock that does not end: dead, reported once.
    door.post({ ...ROW, request_id: "q2" });
    locker.exec("BEGIN IMMEDIATE");
    await died.promise;
    ok(String(deadWhy).includes("cannot be read"), String(deadWhy));
    equal(deadCalls, 1);
    await poller.stop();
    locker.exec("COMMIT");
  } finally {
    clearInterval(keepAlive);
    locker.close();
    desk.close();
  }
});
