// zu serve's pending sources over a real server: a clearance held by a live desk is listed and
// released by POST /v1/pending/:id (the issued tuple checked: unknown 404, mismatch 409, replay
// 409); a paused run's approval is listed and resolved; hostile host names are harmless in JSON.
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadAgentConfig } from "../agent/config.ts";
import { runInProcess } from "../runner/in_process.ts";
import { startZuServer } from "../runner/serve/zu_server.ts";
import { combinePendingSources } from "../runner/serve/pending_source.ts";
import { fakeLauncher } from "../runner/serve/fake_launcher_test_util.ts";
import { openLiveClearance } from "../runner/clearance/clearance_fixture_test_util.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { captureIo } from "./_io.ts";
import type { CommandContext } from "./_command.ts";
import { servePendingSources } from "./_serve_pending.ts";

const TOKEN = "t".repeat(43);
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function serving(dir: string, db: string) {
  const io = captureIo({ cwd: dir });
  const ctx: CommandContext = {
    io,
    path: ["zu", "serve"],
    flags: { db },
    positionals: [],
    rest: [],
  };
  const { launcher } = fakeLauncher();
  const server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
    pending: combinePendingSources(await servePendingSources(ctx)),
  });
  const post = async (id: string, body: unknown): Promise<[number, Record<string, unknown>]> => {
    const res = await fetch(`${server.url}/v1/pending/${id}`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return [res.status, await res.json()];
  };
  const list = async (): Promise<Record<string, unknown>[]> =>
    (await (await fetch(`${server.url}/v1/pending`, { headers: AUTH })).json()).pending;
  return { server, post, list };
}

Deno.test("zu serve lists a held clearance and a verdict posted to it releases the live run's request", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using live = await openLiveClearance(db, { holdMs: 30_000 });
  const { server, post, list } = await serving(dir, db);
  await using _s = server;
  equal((await list()).length, 0);
  const hostile = "bad\x1b[31m\u202etset.\u0000x.test";
  const held = live.rc.gate.request({ run_id: "x", host: hostile, port: 443, scheme: "https" });
  const p = await live.nextPending();
  const items = await list();
  equal(items.length, 1);
  const item = items[0]!;
  equal(item.kind, "clearance");
  equal(item.id, p.request_id);
  equal(item.run, live.runId);
  ok(/^[\x20-\x7e]+$/.test(String(item.host)), String(item.host));
  ok(/^[\x20-\x7e]+$/.test(String(item.summary)));
  equal((await post("0190d4a0-0000-7000-8000-000000000000", { action: "allow" }))[0], 404);
  deepEqual(
    (await post(p.request_id, { action: "allow", host: "other.test" }))[1].error,
    "tuple_mismatch",
  );
  equal((await post(p.request_id, { action: "allow", run: crypto.randomUUID() }))[0], 409);
  equal((await post(p.request_id, { action: "allow", port: 80 }))[0], 409);
  equal((await post(p.request_id, { action: "approve" }))[0], 400);
  const [status, body] = await post(p.request_id, {
    action: "allow",
    run: live.runId,
    host: item.host,
    port: 443,
    scope: "run",
  });
  equal(status, 200, JSON.stringify(body));
  equal(body.outcome, "applied");
  const a = await held;
  ok(a.decision === "allow" && a.held);
  const [again, replay] = await post(p.request_id, { action: "deny" });
  equal(again, 409);
  equal(replay.error, "already_decided");
  // scope run: a repeat of the same host in the run is allowed at once.
  equal(
    (await live.rc.gate.request({ run_id: "x", host: hostile, port: 443, scheme: "https" }))
      .decision,
    "allow",
  );
});

const AGENT = `provider:
  name: scripted
  script:
    - tool: recall
      args: {query: notes}
    - text: '{"answer": "done"}'
plugins:
  tools: [recall]
  detectors: []
  validators: []
action_policies:
  - {tool: recall, effect: escalate}
task:
  query: Recall the notes
  max_tier: 1
`;

Deno.test("zu serve lists a paused run's approval; a verdict records it and resumes the run to its end", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await Deno.writeTextFile(join(dir, "agent.yaml"), AGENT);
  {
    const config = await loadAgentConfig(dir, { env: () => undefined });
    await using sink = new SqliteSink(db);
    const run = await runInProcess({ file: join(dir, "agent.yaml"), config }, {
      sink,
      track: false,
    });
    equal(run.result.status, "paused");
  }
  const { server, post, list } = await serving(dir, db);
  await using _s = server;
  const items = await list();
  equal(items.length, 1);
  const item = items[0]!;
  equal(item.kind, "approval");
  equal((await post(String(item.id), { action: "allow" }))[0], 400);
  equal((await post(String(item.id), { action: "approve", run: crypto.randomUUID() }))[0], 409);
  const [status, body] = await post(String(item.id), {
    action: "approve",
    run: item.run,
    reason: "ok",
  });
  equal(status, 200, JSON.stringify(body));
  equal(body.resumed, true);
  equal((body.result as { status?: string }).status, "success", JSON.stringify(body));
  equal((await list()).length, 0);
  {
    await using sink = new SqliteSink(db);
    const types = (await sink.query()).map((e) => e.type);
    ok(types.includes("harness.approval.resolved") && types.includes("harness.run.resumed"));
    equal(types.at(-1), "harness.task.completed", types.join(" "));
  }
  // A replay: known, already decided.
  equal((await post(String(item.id), { action: "reject" }))[0], 404);
});
