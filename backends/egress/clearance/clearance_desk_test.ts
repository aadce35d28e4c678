import assert from "node:assert/strict";
import { ClearanceDesk, type ClearanceDeskOptions } from "./clearance_desk.ts";
import { ClearanceRefused } from "./clearance_error.ts";
import { MemoryClearanceStore } from "./memory_clearance_store.ts";
import { isRequestId, newRequestId } from "./request_id.ts";
import type {
  ClearanceDecision,
  ClearancePending,
  ClearanceRule,
  ClearanceStore,
} from "../../../core/types.ts";

/** A desk whose events are recorded, and a way to wait for the next pending record. */
async function deskWith(options: ClearanceDeskOptions = {}) {
  const pendings: ClearancePending[] = [];
  const verdicts: ClearanceDecision[] = [];
  const waiting: ((p: ClearancePending) => void)[] = [];
  const desk = new ClearanceDesk({
    holdMs: 2000,
    ...options,
    onPending: (p) => {
      pendings.push(p);
      waiting.shift()?.(p);
    },
    onVerdict: (d) => verdicts.push(d),
  });
  const nextPending = () => new Promise<ClearancePending>((resolve) => waiting.push(resolve));
  await desk.ready();
  return { desk, pendings, verdicts, nextPending };
}

const REQ = { run_id: "run-1", host: "new.test", port: 443, scheme: "https" } as const;

Deno.test("ClearanceDesk releases a held request when an allow arrives within the hold", async () => {
  const { desk, pendings, verdicts, nextPending } = await deskWith();
  const seen = nextPending();
  const answer = desk.request(REQ);
  const p = await seen;
  assert.ok(isRequestId(p.request_id));
  assert.deepEqual(
    { run_id: p.run_id, host: p.host, port: p.port, scheme: p.scheme, count: p.count },
    { run_id: "run-1", host: "new.test", port: 443, scheme: "https", count: 1 },
  );
  const d = await desk.verdict({ ...p, action: "allow", actor: "alice" });
  assert.deepEqual(await answer, { decision: "allow", request_id: p.request_id, held: true });
  assert.equal(d.outcome, "forwarded");
  assert.equal(d.held, true);
  assert.equal(d.scope, "once");
  assert.equal(verdicts.length, 1);
  assert.equal(pendings.length, 1);
  // once: the next request asks again
  const again = nextPending();
  const second = desk.request(REQ);
  assert.notEqual((await again).request_id, p.request_id);
  desk.close();
  assert.equal((await second).decision, "deny");
});

Deno.test("ClearanceDesk denies at the deadline with the request id in the model's message", async () => {
  const { desk, verdicts } = await deskWith({ holdMs: 300 });
  const t0 = performance.now();
  const a = await desk.request(REQ);
  const took = performance.now() - t0;
  assert.equal(a.decision, "deny");
  if (a.decision !== "deny") return;
  assert.equal(a.reason, "clearance_timeout");
  assert.equal(a.message, `awaiting operator approval; request_id=${a.request_id}; retry later`);
  assert.ok(took >= 290 && took < 800, `took ${took} ms`);
  assert.equal(verdicts[0]?.outcome, "timed_out");
  assert.equal(verdicts[0]?.actor, "zu:deadline");
  // still verdict-able (late)
  assert.equal(desk.pending().length, 1);
  desk.close();
});

Deno.test("ClearanceDesk applies a late allow to the next request only", async () => {
  const { desk } = await deskWith({ holdMs: 100 });
  const first = await desk.request(REQ);
  assert.equal(first.decision, "deny");
  const d = await desk.verdict({
    request_id: first.request_id!,
    ...REQ,
    action: "allow",
    actor: "bob",
  });
  assert.equal(d.outcome, "late");
  assert.equal(d.held, false);
  assert.deepEqual(await desk.request(REQ), {
    decision: "allow",
    request_id: first.request_id,
    held: false,
  });
  // the ticket is used up: the one after is held again
  const third = await desk.request(REQ);
  assert.equal(third.decision === "deny" && third.reason, "clearance_timeout");
  desk.close();
});

Deno.test("ClearanceDesk refuses an unknown or forged request id with a 404 error", async () => {
  const { desk, nextPending } = await deskWith();
  const seen = nextPending();
  const held = desk.request(REQ);
  const p = await seen;
  for (const id of [newRequestId(), "not-an-id", p.request_id.replace(/.$/, "0")]) {
    if (id === p.request_id) continue;
    await assert.rejects(
      desk.verdict({ ...p, request_id: id, action: "allow", actor: "x" }),
      (e: unknown) =>
        e instanceof ClearanceRefused && e.status === 404 && e.code === "unknown_request",
    );
  }
  desk.close();
  await held;
});

Deno.test("ClearanceDesk refuses a tuple mismatch with 409 and keeps the record verdict-able", async () => {
  const { desk, nextPending } = await deskWith();
  const seen = nextPending();
  const held = desk.request(REQ);
  const p = await seen;
  for (const wrong of [{ host: "other.test" }, { run_id: "run-2" }, { port: 444 }]) {
    await assert.rejects(
      desk.verdict({ ...p, ...wrong, action: "allow", actor: "x" }),
      (e: unknown) =>
        e instanceof ClearanceRefused && e.status === 409 && e.code === "tuple_mismatch",
    );
  }
  assert.equal(desk.pending().length, 1);
  await desk.verdict({ ...p, action: "allow", actor: "x" });
  assert.equal((await held).decision, "allow");
  // a replay of the same verdict is refused
  await assert.rejects(
    desk.verdict({ ...p, action: "allow", actor: "x" }),
    (e: unknown) => e instanceof ClearanceRefused && e.code === "already_decided",
  );
  desk.close();
});

Deno.test("ClearanceDesk refuses a malformed verdict with 400", async () => {
  const { desk, nextPending } = await deskWith();
  const seen = nextPending();
  const held = desk.request(REQ);
  const p = await seen;
  const bad = [
    { action: "maybe" },
    { scope: "forever" },
    { actor: "" },
    { port: 0 },
    { ttl_ms: 1000 },
    { ttl_ms: -5, scope: "run" },
  ];
  for (const b of bad) {
    await assert.rejects(
      desk.verdict({ ...p, action: "allow", actor: "x", ...b } as never),
      (e: unknown) => e instanceof ClearanceRefused && e.status === 400,
      JSON.stringify(b),
    );
  }
  desk.close();
  assert.equal((await held).decision, "deny");
});

Deno.test("ClearanceDesk sanitises hostile host, run and actor text in every event", async () => {
  const { desk, pendings, verdicts, nextPending } = await deskWith();
  const hostile = "ev\x1b[31mil\u202etset.\0moc\u2066.test";
  const seen = nextPending();
  const held = desk.request({ run_id: "r\x1b]0;x\x07", host: hostile, port: 443, scheme: "https" });
  const p = await seen;
  await desk.verdict({ ...p, action: "deny", scope: "once", actor: "op\u202e", reason: "no\x1b" });
  const answer = await held;
  assert.equal(answer.decision, "deny");
  const text = JSON.stringify([pendings, verdicts, answer]);
  assert.match(text, /^[\x20-\x7e]*$/);
  assert.equal(p.host, "ev [31mil tset. moc .test");
  assert.ok(!text.includes("\\u"), text);
  desk.close();
});

Deno.test("ClearanceDesk keeps at most 16 pending per run under a flood of 1000 hosts, with bounded memory", async () => {
  const { desk, pendings } = await deskWith({ holdMs: 60_000 });
  const t0 = performance.now();
  const answers = Array.from(
    { length: 1000 },
    (_, i) => desk.request({ ...REQ, host: `h${i}.flood.test` }),
  );
  // Let every request reach the desk; the refused ones settle immediately.
  const settled = await Promise.all(answers.slice(16));
  const took = performance.now() - t0;
  assert.ok(settled.every((a) => a.decision === "deny" && a.reason === "clearance_queue_full"));
  assert.ok(took < 1000, `the refusals took ${took} ms`);
  const stats = desk.stats();
  assert.equal(stats.pending, 16);
  assert.equal(stats.records, 16);
  assert.equal(stats.waiters, 16);
  assert.equal(stats.refused_queue_full, 984);
  assert.equal(pendings.length, 16);
  // another run still gets its own 16; the desk-wide cap holds across runs
  const other = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      Promise.race([
        desk.request({ ...REQ, run_id: "run-2", host: `x${i}.test` }),
        Promise.resolve(null),
      ])),
  );
  assert.equal(other.filter((a) => a === null).length, 16);
  desk.close();
  const held = await Promise.all(answers.slice(0, 16));
  assert.ok(held.every((a) => a.decision === "deny" && a.reason === "clearance_closed"));
});

Deno.test("ClearanceDesk caps pending records per desk across runs", async () => {
  const { desk } = await deskWith({ holdMs: 60_000, maxPending: 40 });
  const answers = [];
  for (let r = 0; r < 5; r++) {
    for (let i = 0; i < 16; i++) {
      answers.push(desk.request({ ...REQ, run_id: `run-${r}`, host: `h${i}.test` }));
    }
  }
  assert.equal(desk.stats().pending, 40);
  assert.equal(desk.stats().refused_queue_full, 40);
  desk.close();
  await Promise.all(answers);
});

Deno.test("ClearanceDesk attaches 50 retries to one record with count 50", async () => {
  const { desk, pendings, nextPending } = await deskWith({ holdMs: 60_000 });
  const seen = nextPending();
  const answers = Array.from({ length: 50 }, () => desk.request(REQ));
  const p = await seen;
  assert.equal(pendings.length, 1);
  const listed = desk.pending();
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.count, 50);
  assert.equal(listed[0]!.request_id, p.request_id);
  const d = await desk.verdict({ ...p, action: "allow", actor: "x" });
  assert.equal(d.outcome, "forwarded");
  const all = await Promise.all(answers);
  assert.ok(all.every((a) => a.decision === "allow" && a.request_id === p.request_id));
  desk.close();
});

Deno.test("ClearanceDesk denies every held request at once when closed (fail closed)", async () => {
  const { desk, verdicts } = await deskWith({ holdMs: 60_000 });
  const answers = Array.from({ length: 5 }, (_, i) => desk.request({ ...REQ, host: `h${i}.test` }));
  const t0 = performance.now();
  desk.close();
  const all = await Promise.all(answers);
  assert.ok(performance.now() - t0 < 100);
  assert.ok(all.every((a) => a.decision === "deny" && a.reason === "clearance_closed"));
  assert.equal(verdicts.filter((v) => v.actor === "zu:closed").length, 5);
  const later = await desk.request({ ...REQ, host: "later.test" });
  assert.equal(later.decision === "deny" && later.reason, "clearance_closed");
  await assert.rejects(
    desk.verdict({ request_id: all[0]!.request_id!, ...REQ, action: "allow", actor: "x" }),
    (e: unknown) => e instanceof ClearanceRefused && e.status === 503,
  );
});

Deno.test("ClearanceDesk closes when its signal aborts", async () => {
  const ac = new AbortController();
  const { desk } = await deskWith({ holdMs: 60_000, signal: ac.signal });
  const held = desk.request(REQ);
  ac.abort();
  const a = await held;
  assert.equal(a.decision === "deny" && a.reason, "clearance_closed");
  assert.equal(desk.closed, true);
});

Deno.test("ClearanceDesk lets deny win: a persisted deny beats a later run allow", async () => {
  const store = new MemoryClearanceStore();
  const { desk, nextPending } = await deskWith({ store });
  let seen = nextPending();
  let held = desk.request(REQ);
  let p = await seen;
  await desk.verdict({ ...p, action: "deny", actor: "x", reason: "not this one" });
  const denied = await held;
  assert.equal(denied.decision === "deny" && denied.message, "not this one");
  assert.equal((await store.load())[0]?.scope, "persist");
  // later: the same host on port 80 is asked, allowed for the run, and the 443 deny still holds
  seen = nextPending();
  held = desk.request({ ...REQ, port: 80 });
  p = await seen;
  await desk.verdict({ ...p, action: "allow", scope: "run", actor: "x" });
  assert.equal((await held).decision, "allow");
  assert.equal((await desk.request({ ...REQ, port: 80 })).decision, "allow");
  const still = await desk.request(REQ);
  assert.equal(still.decision === "deny" && still.reason, "operator");
  desk.close();
});

Deno.test("ClearanceDesk: an allow released after a deny rule landed meanwhile is a deny", async () => {
  const { desk, nextPending } = await deskWith();
  let seen = nextPending();
  const heldA = desk.request(REQ);
  const a = await seen;
  seen = nextPending();
  const heldB = desk.request({ ...REQ, run_id: "run-2" });
  const b = await seen;
  await desk.verdict({ ...b, action: "deny", scope: "persist", actor: "x" });
  const d = await desk.verdict({ ...a, action: "allow", actor: "y" });
  assert.equal(d.outcome, "denied");
  assert.equal((await heldA).decision, "deny");
  assert.equal((await heldB).decision, "deny");
  desk.close();
});

Deno.test("ClearanceDesk keeps a run allow to its run and ends it at its ttl", async () => {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => new Date(now), monotonic: () => performance.now() };
  const { desk, nextPending } = await deskWith({ clock, holdMs: 200 });
  const seen = nextPending();
  const held = desk.request(REQ);
  const p = await seen;
  await desk.verdict({ ...p, action: "allow", scope: "run", actor: "x", ttl_ms: 60_000 });
  assert.equal((await held).decision, "allow");
  assert.equal((await desk.request(REQ)).decision, "allow");
  const other = await desk.request({ ...REQ, run_id: "run-2" });
  assert.equal(other.decision === "deny" && other.reason, "clearance_timeout");
  now += 61_000;
  const expired = await desk.request(REQ);
  assert.equal(expired.decision === "deny" && expired.reason, "clearance_timeout");
  desk.close();
});

Deno.test("ClearanceDesk with holdMs off denies at once but still honours stored rules", async () => {
  const rule: ClearanceRule = {
    host: "kept.test",
    port: 443,
    action: "allow",
    scope: "persist",
    ttl_until: null,
    actor: "op",
    reason: null,
    created: new Date().toISOString(),
    run_id: null,
    request_id: null,
  };
  const { desk, pendings } = await deskWith({
    holdMs: "off",
    store: new MemoryClearanceStore([rule]),
  });
  const a = await desk.request(REQ);
  assert.equal(a.decision === "deny" && a.reason, "clearance_off");
  assert.equal((await desk.request({ ...REQ, host: "kept.test" })).decision, "allow");
  assert.equal(pendings.length, 0);
  assert.throws(() => new ClearanceDesk({ holdMs: 120_001 }), RangeError);
});

Deno.test("ClearanceDesk keeps the record verdict-able when the store fails to save", async () => {
  let fail = true;
  const store: ClearanceStore = {
    load: () => Promise.resolve([]),
    save: () => fail ? Promise.reject(new Error("disk full")) : Promise.resolve(),
  };
  const { desk, nextPending } = await deskWith({ store });
  const seen = nextPending();
  const held = desk.request(REQ);
  const p = await seen;
  await assert.rejects(
    desk.verdict({ ...p, action: "allow", scope: "persist", actor: "x" }),
    /disk/,
  );
  fail = false;
  const d = await desk.verdict({ ...p, action: "allow", scope: "persist", actor: "x" });
  assert.equal(d.outcome, "forwarded");
  assert.equal((await held).decision, "allow");
  desk.close();
});

Deno.test("ClearanceDesk denies everything when its store cannot be read", async () => {
  const desk = new ClearanceDesk({
    store: { load: () => Promise.reject(new Error("gone")), save: () => Promise.resolve() },
  });
  await assert.rejects(desk.ready(), /store/);
  const a = await desk.request(REQ);
  assert.equal(a.decision === "deny" && a.reason, "clearance_store_failed");
  desk.close();
});

Deno.test("ClearanceDesk forgets ids more than rememberIds back", async () => {
  const { desk } = await deskWith({ holdMs: 20, rememberIds: 20, maxPending: 16 });
  const first = await desk.request({ ...REQ, host: "h0.test" });
  for (let i = 1; i <= 100; i++) {
    const ac = new AbortController();
    const held = desk.request({ ...REQ, host: `h${i}.test`, signal: ac.signal });
    ac.abort();
    await held;
  }
  assert.equal(desk.stats().records, 20);
  await assert.rejects(
    desk.verdict({
      request_id: first.request_id!,
      ...REQ,
      host: "h0.test",
      action: "allow",
      actor: "x",
    }),
    (e: unknown) => e instanceof ClearanceRefused && e.code === "unknown_request",
  );
  desk.close();
});

Deno.test("ClearanceDesk keeps holding when the pending callback throws (a notifier never allows)", async () => {
  let seenId = "";
  const desk = new ClearanceDesk({
    holdMs: 100,
    onPending: (p) => {
      seenId = p.request_id;
      throw new Error("notifier down");
    },
  });
  const a = await desk.request(REQ);
  assert.equal(a.decision === "deny" && a.reason, "clearance_timeout");
  assert.equal(a.request_id, seenId);
  assert.equal(desk.stats().callback_failures, 1);
  desk.close();
});

Deno.test("ClearanceDesk answers an aborted hold at once and asks again after the dedup window", async () => {
  const { desk, pendings } = await deskWith({ holdMs: 60_000, dedupWindowMs: 0 });
  const ac = new AbortController();
  const held = desk.request({ ...REQ, signal: ac.signal });
  ac.abort();
  const a = await held;
  assert.equal(a.decision === "deny" && a.reason, "clearance_aborted");
  assert.equal(desk.stats().waiters, 0);
  const again = desk.request(REQ);
  assert.equal(pendings.length, 2);
  desk.close();
  await again;
});
