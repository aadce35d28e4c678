import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { newTaskSpec } from "../core/contracts.ts";
import { EventBus } from "../core/bus.ts";
import type { Event } from "../core/events.ts";
import { UserError } from "../core/errors.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { newEvent } from "../core/events.ts";
import { ActionPolicyGate } from "./action_policy_gate.ts";
import { CaptchaDetector } from "./checks/captcha.ts";
import { type ApprovalDecision, pausedRunOf, resolutionPayload } from "./approvals.ts";
import { resumeTask, runTask } from "./loop.ts";
import { call, fixtureTool, plugins, RecordingProvider, say } from "./_testing.ts";

const PAUSED = "harness.run.paused";
const RESUMED = "harness.run.resumed";

/** A run whose `write` call an action policy escalates to a human. */
function setup() {
  const ran: Record<string, unknown>[] = [];
  const tool = fixtureTool("write", (args) => (ran.push(args), { ok: true, wrote: args.path }));
  const gate = new ActionPolicyGate([{ tool: "write", effect: "escalate" }]);
  const provider = new RecordingProvider([
    call("write", { path: "/notes.txt" }),
    say('{"done": true}'),
  ]);
  return {
    ran,
    provider,
    plugins: plugins([tool], { gates: new Map([["action_policies", gate]]) }),
    spec: newTaskSpec({ query: "write the note", task_id: crypto.randomUUID() }),
  };
}

async function inline(decision: ApprovalDecision) {
  const s = setup();
  const sink = new MemorySink();
  const result = await runTask(s.spec, s.provider, s.plugins, new EventBus(sink), {
    approver: () => Promise.resolve(decision),
  });
  return { result, events: await sink.query(), ran: s.ran, provider: s.provider };
}

/** Pauses, writes the verdict the way another process does, resumes with a fresh set-up. */
async function pausedThenResumed(decision: ApprovalDecision) {
  const first = setup();
  const sink = new MemorySink();
  const paused = await runTask(first.spec, first.provider, first.plugins, new EventBus(sink));
  equal(paused.status, "paused");
  equal(first.ran.length, 0);
  const state = pausedRunOf(await sink.query());
  ok(state !== null);
  equal(state.approvalId, paused.reason);
  await sink.append(newEvent({
    task_id: state.taskId,
    parent_id: state.rootId,
    type: "harness.approval.resolved",
    source: `human:${decision.by}`,
    payload: resolutionPayload(state.approvalId, state.pending?.idempotency_key ?? null, decision),
  }));
  // A new process: new tool, gate and provider objects; only the log carries the run.
  const second = setup();
  second.provider.requests.length = 0;
  const answers = new RecordingProvider([say('{"done": true}')]);
  const result = await resumeTask(
    second.spec,
    answers,
    second.plugins,
    new EventBus(sink),
    await sink.query({ task_id: state.taskId }),
  );
  return { result, events: await sink.query(), ran: second.ran, provider: answers };
}

const withoutPausePair = (events: Event[]) =>
  events.map((e) => e.type).filter((t) => t !== PAUSED && t !== RESUMED);

for (const decision of ["approve", "reject"] as const) {
  Deno.test(`a paused run given "${decision}" later ends exactly like an uninterrupted run`, async () => {
    const verdict = { decision, by: "ops", reason: decision === "reject" ? "not today" : null };
    const a = await inline(verdict);
    const b = await pausedThenResumed(verdict);
    deepStrictEqual(b.result, a.result);
    deepStrictEqual(withoutPausePair(b.events), withoutPausePair(a.events));
    const types = b.events.map((e) => e.type);
    const at = types.indexOf(PAUSED);
    deepStrictEqual(types.slice(at, at + 3), [PAUSED, "harness.approval.resolved", RESUMED]);
    equal(b.events[at + 2]?.payload.by, "ops");
    equal(b.ran.length, a.ran.length);
    // The model saw the same history after the verdict.
    deepStrictEqual(b.provider.requests.at(-1)?.messages, a.provider.requests.at(-1)?.messages);
    if (decision === "approve") {
      equal(b.ran.length, 1);
      ok(b.events.some((e) => e.payload.decision === "approved_by_human"));
      equal(b.result.status, "success");
    } else {
      equal(b.ran.length, 0);
      const blocked = b.events.find((e) => e.type === "harness.defense.blocked");
      equal(blocked?.payload.kind, "human_denied");
      ok(String(b.provider.requests.at(-1)?.messages.at(-1)?.content).includes("not today"));
    }
    // The chain of one task stays one trace, and every event is the run's.
    ok(b.events.every((e) => e.task_id === b.events[0]?.task_id));
  });
}

Deno.test("resumeTask refuses a run that is not paused, has no verdict, or was resumed", async () => {
  const s = setup();
  const sink = new MemorySink();
  await runTask(s.spec, s.provider, s.plugins, new EventBus(sink));
  const events = await sink.query();
  const fresh = setup();
  await rejects(
    resumeTask(fresh.spec, fresh.provider, fresh.plugins, new EventBus(sink), events),
    (e) => e instanceof UserError && /no verdict yet/.test(e.message),
  );
  await rejects(
    resumeTask(fresh.spec, fresh.provider, fresh.plugins, new EventBus(sink), events.slice(0, 3)),
    (e) => e instanceof UserError && /not paused/.test(e.message),
  );
  const state = pausedRunOf(events)!;
  await sink.append(newEvent({
    task_id: state.taskId,
    type: "harness.approval.resolved",
    payload: resolutionPayload(state.approvalId, null, { decision: "approve", by: "a" }),
  }));
  const withVerdict = await sink.query();
  const r = await resumeTask(
    fresh.spec,
    new RecordingProvider([say("{}")]),
    fresh.plugins,
    new EventBus(sink),
    withVerdict,
  );
  equal(r.status, "success");
  // A second resumer holding the same (stale) events is refused before running anything.
  const again = setup();
  await rejects(
    resumeTask(again.spec, again.provider, again.plugins, new EventBus(sink), withVerdict),
    (e) => e instanceof UserError && /already resumed/.test(e.message),
  );
  equal(again.ran.length, 0);
  equal((await sink.query()).filter((e) => e.type === RESUMED).length, 1);
});

Deno.test("a check's pause (captcha) resumes too, and pausing again on the same call gets a new approval id", async () => {
  const pages = ['<div class="g-recaptcha"></div>', '<div class="g-recaptcha"></div>', "hello"];
  const spec = newTaskSpec({ query: "q", task_id: crypto.randomUUID() });
  const sink = new MemorySink();
  const first = await runTask(
    spec,
    new RecordingProvider([call("fetch", { url: "https://x.example/" })]),
    plugins([fixtureTool("fetch", () => ({ html: pages[0] }))], {
      detectors: new Map([["captcha", new CaptchaDetector()]]),
    }),
    new EventBus(sink),
  );
  equal(first.status, "paused");
  const ids: string[] = [first.reason!];
  // Each resume is a fresh "process" whose fetch tool already served the pages before it.
  let served = 1;
  let result = first;
  for (let round = 0; round < 2; round++) {
    const state = pausedRunOf(await sink.query())!;
    await sink.append(newEvent({
      task_id: state.taskId,
      type: "harness.approval.resolved",
      payload: resolutionPayload(state.approvalId, state.pending?.idempotency_key ?? null, {
        decision: "approve",
        by: "solver",
      }),
    }));
    let n = served;
    const tools = plugins([fixtureTool("fetch", () => ({ html: pages[n++] ?? "hello" }))], {
      detectors: new Map([["captcha", new CaptchaDetector()]]),
    });
    result = await resumeTask(
      spec,
      new RecordingProvider([say('{"ok": true}')]),
      tools,
      new EventBus(sink),
      await sink.query(),
    );
    served = n;
    if (result.status === "paused") ids.push(result.reason!);
  }
  equal(result.status, "success");
  equal(ids.length, 2);
  ok(ids[0] !== ids[1]);
  const types = (await sink.query()).map((e) => e.type);
  equal(types.filter((t) => t === PAUSED).length, 2);
  equal(types.filter((t) => t === RESUMED).length, 2);
  equal(types.at(-1), "harness.task.completed");
});
