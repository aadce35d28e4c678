import { deepEqual, equal, ok } from "node:assert/strict";
import { ClearanceDesk } from "../../backends/egress/clearance/clearance_desk.ts";
import type { ClearancePending, PendingVerdict } from "../../core/types.ts";
import { deskPendingSource } from "./desk_pending_source.ts";
import { combinePendingSources } from "./pending_source.ts";

function deskWithEvents(): { desk: ClearanceDesk; next(): Promise<ClearancePending> } {
  const waiting: ((p: ClearancePending) => void)[] = [];
  const seen: ClearancePending[] = [];
  const desk = new ClearanceDesk({
    holdMs: 10_000,
    onPending: (p) => {
      const w = waiting.shift();
      if (w) w(p);
      else seen.push(p);
    },
  });
  return {
    desk,
    next: () => {
      const p = seen.shift();
      return p ? Promise.resolve(p) : new Promise((r) => waiting.push(r));
    },
  };
}

function allow(p: { run_id: string; host: string; port: number }): PendingVerdict {
  return { action: "allow", run: p.run_id, host: p.host, port: p.port, scope: "once", by: "serve" };
}

Deno.test("deskPendingSource lists a held request as a clearance item and an allow releases it", async () => {
  const { desk, next } = deskWithEvents();
  try {
    const source = deskPendingSource(desk);
    const held = desk.request({ run_id: "r1", host: "api.test", port: 443, scheme: "https" });
    const p = await next();
    const items = await source.list();
    equal(items.length, 1);
    deepEqual({ ...items[0], created_at: "", deadline_at: "" }, {
      id: p.request_id,
      kind: "clearance",
      run: "r1",
      host: "api.test",
      port: 443,
      created_at: "",
      deadline_at: "",
      summary: "https api.test:443, 1 request held",
    });
    equal(items[0]!.deadline_at, p.deadline);
    const answer = await source.verdict(p.request_id, allow(p));
    equal(answer.status, 200);
    const body = answer.body as { decision: { decision: string; actor: string; outcome: string } };
    deepEqual([body.decision.decision, body.decision.actor, body.decision.outcome], [
      "allow",
      "serve",
      "forwarded",
    ]);
    equal((await held).decision, "allow");
    deepEqual(await source.list(), []);
    // A replay of the same verdict is refused as already decided.
    const again = await source.verdict(p.request_id, allow(p));
    equal(again.status, 409);
    equal((again.body as { error: string }).error, "already_decided");
  } finally {
    desk.close();
  }
});

Deno.test("deskPendingSource answers refusals with their HTTP status", async () => {
  const { desk, next } = deskWithEvents();
  const source = deskPendingSource(desk);
  const held = desk.request({ run_id: "r1", host: "api.test", port: 443, scheme: "https" });
  const p = await next();
  const status = async (id: string, v: PendingVerdict): Promise<[number, string]> => {
    const a = await source.verdict(id, v);
    return [a.status, (a.body as { error: string }).error];
  };
  // An id never issued (or one of another source): 404, whatever the body.
  deepEqual(await status("0190f0e0-0000-7000-8000-000000000000", allow(p)), [
    404,
    "unknown_request",
  ]);
  deepEqual(await status("nope", { action: "approve", by: "serve" }), [404, "unknown_request"]);
  deepEqual(await status("nope", { action: "allow", by: "serve" }), [404, "unknown_request"]);
  // A held id: wrong kind of action, missing tuple, wrong tuple.
  deepEqual(await status(p.request_id, { action: "approve", run: "r1", by: "serve" }), [
    400,
    "bad_action",
  ]);
  deepEqual(await status(p.request_id, { action: "allow", by: "serve" }), [400, "verdict_invalid"]);
  deepEqual(await status(p.request_id, { ...allow(p), host: "other.test" }), [
    409,
    "tuple_mismatch",
  ]);
  deepEqual(await status(p.request_id, { ...allow(p), run: "r2" }), [409, "tuple_mismatch"]);
  deepEqual(await status(p.request_id, { ...allow(p), port: 80 }), [409, "tuple_mismatch"]);
  // The record is still verdict-able after the mismatches; a deny with a reason answers it.
  const denied = await source.verdict(p.request_id, {
    ...allow(p),
    action: "deny",
    reason: "not \u001b[31mthis\u202e one " + "x".repeat(1000),
  });
  equal(denied.status, 200);
  const answer = await held;
  equal(answer.decision, "deny");
  const decision = (denied.body as { decision: { reason: string } }).decision;
  ok(decision.reason.length <= 200);
  // deno-lint-ignore no-control-regex -- the test looks for control characters
  ok(!/[\u0000-\u001f\u202e]/.test(decision.reason), decision.reason);
  // A closed desk: 503.
  const second = desk.request({ run_id: "r1", host: "b.test", port: 443, scheme: "https" });
  const q = await next();
  desk.close();
  await second;
  deepEqual(await status(q.request_id, allow(q)), [503, "clearance_closed"]);
});

Deno.test("deskPendingSource combined with another source lets the other answer its own ids", async () => {
  const { desk, next } = deskWithEvents();
  try {
    const calls: string[] = [];
    const approvals = {
      list: () =>
        Promise.resolve([{ id: "appr-1", kind: "approval" as const, run: "r9", summary: "ok?" }]),
      verdict: (id: string) => {
        calls.push(id);
        return Promise.resolve({ status: 200, body: { approved: id } });
      },
    };
    const both = combinePendingSources([deskPendingSource(desk), approvals]);
    const held = desk.request({ run_id: "r1", host: "api.test", port: 443, scheme: "https" });
    const p = await next();
    deepEqual((await both.list()).map((i) => i.kind), ["clearance", "approval"]);
    equal(
      (await both.verdict("appr-1", { action: "approve", run: "r9", by: "serve" })).status,
      200,
    );
    deepEqual(calls, ["appr-1"]);
    equal((await both.verdict(p.request_id, allow(p))).status, 200);
    equal((await held).decision, "allow");
    deepEqual(calls, ["appr-1"]);
  } finally {
    desk.close();
  }
});
