// The verdict channel through the run's event database: verdicts posted by a door release a
// request held by a live desk; forged, replayed, mismatched and cross-run verdicts are refused;
// a persisted deny beats a later allow across a restart; the file removed = every hold denied.
import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ClearanceRefused } from "../../backends/egress/clearance/clearance_error.ts";
import { ClearanceInbox } from "../../sinks/sqlite/clearance_inbox.ts";
import { SqliteSink } from "../../sinks/sqlite/sqlite_sink.ts";
import { openLiveClearance } from "./clearance_fixture_test_util.ts";
import { openRunClearance } from "./run_clearance.ts";
import { pendingClearances } from "./pending_clearances.ts";
import { submitClearanceVerdict } from "./submit_verdict.ts";
import { EGRESS_PENDING, newEvent } from "../../core/events.ts";

const REQ = { run_id: "ignored", port: 443, scheme: "https" };

async function refusedWith(p: Promise<unknown>, code: string, status: number): Promise<void> {
  await rejects(p, (e: unknown) => {
    ok(e instanceof ClearanceRefused, String(e));
    equal(e.code, code);
    equal(e.status, status);
    return true;
  });
}

Deno.test("a verdict posted through the database releases the held request; replays are refused", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using live = await openLiveClearance(db);
  const held = live.rc.gate.request({ ...REQ, host: "new.test" });
  const p = await live.nextPending();
  equal(p.run_id, live.runId); // the host's run id, not the caller's
  await using reader = new SqliteSink(db);
  using inbox = new ClearanceInbox(db);
  const listed = await pendingClearances(reader);
  equal(listed.length, 1);
  equal(listed[0]!.request_id, p.request_id);
  const out = await submitClearanceVerdict({
    sink: reader,
    inbox,
    verdict: { request_id: p.request_id, action: "allow", actor: "cli:t", host: "new.test" },
  });
  equal(out.outcome, "applied");
  const answer = await held;
  equal(answer.decision, "allow");
  ok(answer.decision === "allow" && answer.held);
  // Replay: decided in the inbox (and soon in the log).
  await refusedWith(
    submitClearanceVerdict({
      sink: reader,
      inbox,
      verdict: { request_id: p.request_id, action: "allow", actor: "cli:t" },
    }),
    "already_decided",
    409,
  );
  equal((await pendingClearances(reader)).length, 0);
});

Deno.test("forged ids, mismatched tuples and another run's request are refused; the hold goes on", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using a = await openLiveClearance(db);
  await using b = await openLiveClearance(db);
  const heldA = a.rc.gate.request({ ...REQ, host: "a.test" });
  const pa = await a.nextPending();
  const heldB = b.rc.gate.request({ ...REQ, host: "b.test" });
  const pb = await b.nextPending();
  await using reader = new SqliteSink(db);
  using inbox = new ClearanceInbox(db);
  const submit = (v: Record<string, unknown>) =>
    submitClearanceVerdict({
      sink: reader,
      inbox,
      verdict: { action: "allow", actor: "t", ...v } as never,
    });
  await refusedWith(
    submit({ request_id: "0190d4a0-0000-7000-8000-000000000000" }),
    "unknown_request",
    404,
  );
  await refusedWith(submit({ request_id: "" }), "unknown_request", 404);
  await refusedWith(submit({ request_id: pa.request_id, host: "b.test" }), "tuple_mismatch", 409);
  await refusedWith(submit({ request_id: pa.request_id, port: 80 }), "tuple_mismatch", 409);
  // B's request cited as A's run: refused, and B's hold is untouched.
  await refusedWith(submit({ request_id: pb.request_id, run: a.runId }), "tuple_mismatch", 409);
  // A row forged straight into the inbox under run A for B's request: A's desk does not know it.
  const forged = inbox.post({
    request_id: pb.request_id,
    run_id: a.runId,
    host: "b.test",
    port: 443,
    action: "allow",
    scope: "once",
    actor: "forger",
    reason: null,
    ttl_ms: null,
  });
  ok("id" in forged);
  let row = inbox.get(forged.id);
  for (let i = 0; i < 400 && row?.state !== "refused"; i++) {
    await new Promise((r) => setTimeout(r, 10));
    row = inbox.get(forged.id);
  }
  equal(row?.state, "refused");
  equal((row?.answer as { code: string }).code, "unknown_request");
  equal(a.rc.desk.pending().length, 1);
  equal(b.rc.desk.pending().length, 1);
  // A proper deny for A, a proper allow for B.
  const denied = await submit({ request_id: pa.request_id, action: "deny", scope: "once" });
  equal(denied.outcome, "applied");
  equal((await heldA).decision, "deny");
  // The forged row was refused, so it does not block B's real verdict.
  const allowed = await submit({ request_id: pb.request_id, run: b.runId });
  equal(allowed.outcome, "applied");
  equal((await heldB).decision, "allow");
});

Deno.test("a persisted deny beats a later allow across a restart of the deciding process", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  {
    await using live = await openLiveClearance(db);
    const held = live.rc.gate.request({ ...REQ, host: "evil.test" });
    const p = await live.nextPending();
    await using reader = new SqliteSink(db);
    using inbox = new ClearanceInbox(db);
    const out = await submitClearanceVerdict({
      sink: reader,
      inbox,
      verdict: {
        request_id: p.request_id,
        action: "deny",
        scope: "persist",
        reason: "no",
        actor: "t",
      },
    });
    equal(out.outcome, "applied");
    equal((await held).decision, "deny");
  }
  // A second open of the same file (a restart): the stored deny answers at once; an allow
  // given now (persist) does not override it.
  await using again = await openLiveClearance(db);
  const first = await again.rc.gate.request({ ...REQ, host: "evil.test" });
  ok(first.decision === "deny" && first.reason === "operator" && first.message === "no");
  const held = again.rc.gate.request({ ...REQ, host: "evil.test", port: 8443 });
  const p = await again.nextPending();
  await using reader = new SqliteSink(db);
  using inbox = new ClearanceInbox(db);
  await submitClearanceVerdict({
    sink: reader,
    inbox,
    verdict: { request_id: p.request_id, action: "allow", scope: "persist", actor: "t" },
  });
  equal((await held).decision, "allow"); // another port: allowed
  const third = await again.rc.gate.request({ ...REQ, host: "evil.test" });
  equal(third.decision, "deny");
});

Deno.test("a closed desk is a decision: a verdict after it is refused", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  let id: string;
  {
    await using live = await openLiveClearance(db, { holdMs: 60_000 });
    void live.rc.gate.request({ ...REQ, host: "later.test" });
    id = (await live.nextPending()).request_id;
    await live.rc.close();
  }
  await using reader = new SqliteSink(db);
  using inbox = new ClearanceInbox(db);
  await refusedWith(
    submitClearanceVerdict({
      sink: reader,
      inbox,
      verdict: { request_id: id, action: "allow", actor: "t" },
    }),
    "already_decided",
    409,
  );
});

Deno.test("a persist verdict no live run takes is stored for later runs", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  const run = crypto.randomUUID();
  const id = "0190d4a0-0000-7000-8000-00000000abcd";
  {
    // The run's process was killed while holding: its pending event is all that is left.
    await using sink = new SqliteSink(db);
    await sink.append(newEvent({
      task_id: run,
      type: EGRESS_PENDING,
      source: "egress_proxy",
      payload: {
        request_id: id,
        run_id: run,
        host: "gone.test",
        port: 443,
        scheme: "https",
        first_seen: new Date().toISOString(),
        count: 1,
        deadline: new Date(Date.now() + 60_000).toISOString(),
      },
    }));
  }
  await using reader = new SqliteSink(db);
  using inbox = new ClearanceInbox(db);
  const out = await submitClearanceVerdict({
    sink: reader,
    inbox,
    waitMs: 100,
    verdict: { request_id: id, action: "deny", scope: "persist", actor: "t", reason: "never" },
  });
  ok(out.outcome === "unclaimed" && out.stored_rule, JSON.stringify(out));
  await using next = await openRunClearance({ holdMs: 60_000, dbPath: db });
  const a = await next.gate.request({ ...REQ, host: "gone.test" });
  ok(a.decision === "deny" && a.message === "never");
  // A once verdict with no live run releases nothing and stores nothing.
  const once = await submitClearanceVerdict({
    sink: reader,
    inbox,
    waitMs: 50,
    verdict: { request_id: id, action: "allow", actor: "t" },
  });
  ok(once.outcome === "unclaimed" && !once.stored_rule);
  equal((await next.gate.request({ ...REQ, host: "gone.test" })).decision, "deny");
});

Deno.test("the event database removed while 5 requests are held: every one is denied at once", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using live = await openLiveClearance(db, { holdMs: 60_000 });
  const held = [1, 2, 3, 4, 5].map((i) => live.rc.gate.request({ ...REQ, host: `h${i}.test` }));
  for (let i = 0; i < 5; i++) await live.nextPending();
  const t0 = performance.now();
  await Deno.remove(db);
  const answers = await Promise.all(held);
  const ms = performance.now() - t0;
  ok(
    answers.every((a) => a.decision === "deny" && a.reason === "clearance_closed"),
    JSON.stringify(answers),
  );
  ok(ms < 2000, `denied after ${ms} ms`);
  ok(live.rc.desk.closed);
  const later = await live.rc.gate.request({ ...REQ, host: "h6.test" });
  equal(later.decision, "deny");
});

Deno.test("close() denies held requests; dbPath null keeps the in-memory desk", async () => {
  await using rc = await openRunClearance({ holdMs: 60_000, dbPath: null, runId: "r1" });
  const held = rc.gate.request({ ...REQ, host: "x.test" });
  await rc.close();
  const a = await held;
  ok(a.decision === "deny" && a.reason === "clearance_closed");
  await using off = await openRunClearance({ holdMs: "off", dbPath: null });
  ok((await off.gate.request({ ...REQ, host: "x.test" })).decision === "deny");
});

Deno.test("openRunClearance refuses a file that is not an event database", async () => {
  const dir = await Deno.makeTempDir();
  const bad = join(dir, "bad.db");
  await Deno.writeTextFile(bad, "not sqlite at all, ".repeat(20));
  await rejects(openRunClearance({ dbPath: bad }), /not an SQLite database/);
});
