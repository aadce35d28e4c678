/**
 * Persistence across a desk restart with the SQLite store (the event log's file): persisted
 * allows and denies survive, and a persisted deny beats a later run allow.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ClearanceDesk } from "./clearance_desk.ts";
import { SqliteClearanceStore } from "../../../sinks/sqlite/clearance_store.ts";
import type { ClearancePending } from "../../../core/types.ts";

async function openDesk(path: string, holdMs = 5000) {
  const store = new SqliteClearanceStore(path);
  const waiting: ((p: ClearancePending) => void)[] = [];
  const desk = new ClearanceDesk({ holdMs, store, onPending: (p) => waiting.shift()?.(p) });
  await desk.ready();
  const next = () => new Promise<ClearancePending>((resolve) => waiting.push(resolve));
  return {
    desk,
    next,
    close: async () => {
      desk.close();
      await store.close();
    },
  };
}

Deno.test("ClearanceDesk with the SQLite store keeps persisted verdicts across a restart; deny wins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_clear_" });
  const path = join(dir, "zu.db");
  const req = (run_id: string, host: string) => ({ run_id, host, port: 443, scheme: "https" });
  try {
    const one = await openDesk(path);
    let seen = one.next();
    const heldGood = one.desk.request(req("run-1", "good.test"));
    const good = await seen;
    await one.desk.verdict({ ...good, action: "allow", scope: "persist", actor: "alice" });
    assert.equal((await heldGood).decision, "allow");
    // Two runs ask about bad.test; run-1's is denied (persist, the default for a deny)...
    seen = one.next();
    const heldA = one.desk.request(req("run-1", "bad.test"));
    const a = await seen;
    seen = one.next();
    const heldB = one.desk.request(req("run-2", "bad.test"));
    const b = await seen;
    await one.desk.verdict({ ...a, action: "deny", actor: "alice", reason: "never" });
    assert.equal((await heldA).decision, "deny");
    // ...and a later run allow for run-2 loses to the persisted deny.
    const late = await one.desk.verdict({ ...b, action: "allow", scope: "run", actor: "bob" });
    assert.equal(late.outcome, "denied");
    const deniedB = await heldB;
    assert.equal(deniedB.decision === "deny" && deniedB.message, "never");
    assert.equal((await one.desk.request(req("run-2", "bad.test"))).decision, "deny");
    await one.close();

    const two = await openDesk(path, 300);
    assert.deepEqual(await two.desk.request(req("run-9", "good.test")), {
      decision: "allow",
      request_id: good.request_id,
      held: false,
    });
    for (const run of ["run-2", "run-9"]) {
      const bad = await two.desk.request(req(run, "bad.test"));
      assert.equal(bad.decision === "deny" && bad.reason, "operator");
      assert.equal(bad.decision === "deny" && bad.message, "never");
    }
    // The old desk's ids are unknown to the new one (nothing to replay).
    await assert.rejects(two.desk.verdict({ ...b, action: "allow", actor: "x" }), /unknown/);
    assert.equal(two.desk.stats().persisted_rules, 2);
    await two.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
