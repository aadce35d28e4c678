import { equal, ok, rejects } from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { loadAgentConfig } from "../agent/config.ts";
import { runInProcess } from "./in_process.ts";
import { pendingApprovals, resolveApproval, resumeRun } from "./approvals.ts";

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

async function pausedTwice(sink: SqliteSink, dir: string) {
  await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
  const config = await loadAgentConfig(dir, { env: () => undefined });
  const agent = { file: `${dir}/agent.yaml`, config };
  const a = await runInProcess(agent, { sink, track: false });
  const b = await runInProcess(agent, { sink, track: false });
  equal(a.result.status, "paused");
  return { agent, a, b };
}

const refused = (re: RegExp) => (e: unknown) =>
  e instanceof UserError && e.code === "approval_invalid" && re.test(e.message);

Deno.test("resolveApproval refuses forged, cross-run, double and not-paused verdicts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using sink = new SqliteSink(`${dir}/e.db`);
    const { agent, a, b } = await pausedTwice(sink, dir);
    const pending = await pendingApprovals(sink);
    equal(pending.length, 2);
    const idA = a.result.reason!;
    const idB = b.result.reason!;
    await rejects(
      resolveApproval(sink, { approvalId: crypto.randomUUID(), decision: "approve", actor: "x" }),
      refused(/Unknown approval/),
    );
    await rejects(
      resolveApproval(sink, { run: a.taskId, approvalId: idB, decision: "approve", actor: "x" }),
      refused(/not the pending approval/),
    );
    await rejects(
      resolveApproval(sink, { run: "nope", decision: "approve", actor: "x" }),
      refused(/Unknown run/),
    );
    await rejects(
      resolveApproval(sink, { run: a.taskId, decision: "approve", actor: " " }),
      refused(/actor/),
    );
    await rejects(
      resumeRun(agent, { mode: "in-process", sink, run: a.taskId }),
      refused(/awaits a verdict/),
    );
    // Two concurrent verdicts: exactly one is written.
    const both = await Promise.allSettled([
      resolveApproval(sink, { approvalId: idA, decision: "approve", actor: "one" }),
      resolveApproval(sink, { run: a.taskId, decision: "reject", actor: "two" }),
    ]);
    equal(both.filter((r) => r.status === "fulfilled").length, 1);
    equal((await sink.query({ task_id: a.taskId, type: "harness.approval.resolved" })).length, 1);
    await rejects(
      resolveApproval(sink, { run: a.taskId, decision: "approve", actor: "x" }),
      refused(/already resolved/),
    );
    const done = await resumeRun(agent, { mode: "in-process", sink, run: a.taskId });
    ok(["success"].includes(done.result.status));
    await rejects(
      resolveApproval(sink, { run: a.taskId, decision: "approve", actor: "x" }),
      refused(/not paused/),
    );
    const left = await pendingApprovals(sink);
    equal(left.length, 1);
    equal(left[0]?.approvalId, idB);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two jailed resumers of one approved run: one runs it, the other is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using sink = new SqliteSink(`${dir}/e.db`);
    const { agent, a } = await pausedTwice(sink, dir);
    await resolveApproval(sink, { run: a.taskId, decision: "approve", actor: "ops" });
    const host = { env: (_: string) => undefined, stderr: (_: string) => {} };
    const both = await Promise.allSettled([
      resumeRun(agent, { mode: "jailed", host, sink, run: a.taskId, track: false }),
      resumeRun(agent, { mode: "jailed", host, sink, run: a.taskId, track: false }),
    ]);
    const won = both.filter((r) => r.status === "fulfilled");
    equal(won.length, 1);
    const lost = both.find((r) => r.status === "rejected") as PromiseRejectedResult;
    ok(refused(/already resumed|not paused/)(lost.reason), String(lost.reason));
    const events = await sink.query({ task_id: a.taskId });
    equal(events.filter((e) => e.type === "harness.run.resumed").length, 1);
    equal(events.filter((e) => e.type === "harness.tool.invoked").length, 2); // escalated + approved
    equal(events.at(-1)?.type, "harness.task.completed");
    equal(
      (won[0] as PromiseFulfilledResult<{ result: { status: string } }>).value.result.status,
      "success",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
