/**
 * `zu approve <run>` and `zu reject <run>`: a human's verdict on a run paused for one
 * (`harness.run.paused`), written into the agent's event log, then the run resumed in the jail
 * exactly as `zu run` runs it (its state rebuilt from the log).
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { bool, type CommandContext, type CommandDef, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { eventLogPath, exists, openRunLog } from "./_event_log.ts";
import { resolveIdPrefix } from "./_event_ids.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { liveClearance } from "./_live_run.ts";
import { SECRET_FLAGS, secretSettingsOf } from "./_secret_flags.ts";
import { reportRun } from "./_run_report.ts";
import { printable } from "./_printable.ts";

const VERDICT_FLAGS = {
  db: {
    type: "string",
    placeholder: "path",
    description: "Event log of the run (default: the agent's event_sink, else .zu/events.db)",
  },
  agent: {
    type: "string",
    placeholder: "path",
    description: "The agent the run belongs to, resumed in the jail (default: .)",
  },
  reason: {
    type: "string",
    placeholder: "text",
    description: "Why; on a rejection this is what the model reads",
  },
  by: {
    type: "string",
    placeholder: "name",
    description: 'Who decides (default: $USER, else "operator")',
  },
  approval: {
    type: "string",
    placeholder: "id",
    description: "The approval id zu pending shows; refused unless it is the run's pending one",
  },
  json: { type: "boolean", description: "Print the outcome as JSON" },
  ...SECRET_FLAGS,
  ...CLEARANCE_FLAGS,
} as const;

async function verdict(ctx: CommandContext, decision: "approve" | "reject"): Promise<number> {
  const agent = await loadAgent(ctx.io, str(ctx, "agent"));
  const dbFlag = str(ctx, "db");
  const path = eventLogPath(ctx.io, agent, dbFlag);
  if (path !== null && !exists(path)) {
    throw new UserError(
      "event_log_not_found",
      `Cannot open event log "${path}": the file does not exist; pass --db <path>`,
    );
  }
  const { pausedRunFor, resolveApproval, resumeRun } = await import("../runner/approvals.ts");
  await using secrets = await secretSettingsOf(ctx);
  const log = await openRunLog(ctx.io, agent, dbFlag);
  try {
    const runArg = ctx.positionals[0] ?? "";
    const run = await resolveIdPrefix(log.sink, "task_id", runArg).catch(() => {
      throw new UserError(
        "approval_invalid",
        `Unknown run "${printable(runArg)}": no such run in the event log`,
      );
    });
    const approvalId = str(ctx, "approval");
    // Every refusal comes before the verdict is written.
    await pausedRunFor(log.sink, { run, ...(approvalId ? { approvalId } : {}) });
    await secrets.verify();
    const by = str(ctx, "by") ?? ctx.io.env("USER") ?? "operator";
    await resolveApproval(log.sink, {
      run,
      ...(approvalId ? { approvalId } : {}),
      decision,
      actor: `cli:${by}`,
      reason: str(ctx, "reason") ?? null,
    });
    const word = decision === "approve" ? "approved" : "rejected";
    ctx.io.stderr(`${word}: run ${run}; resuming it in the jail\n`);
    // The resumed run's live clearance, as zu run's (closed before the log).
    await using clearance = liveClearance(ctx, agent, () => log.db);
    const resumed = await resumeRun(agent, {
      mode: "jailed",
      host: ctx.io,
      sink: log.sink,
      run,
      secrets,
      track: false,
      ...clearance.option,
    });
    const { recordRun } = await import("../runner/after_run.ts");
    const lines = await recordRun(agent.dir, { ...resumed, agent: agent.arg, track: false });
    return reportRun(ctx.io, {
      result: resumed.result,
      events: resumed.events,
      db: log.db,
      json: bool(ctx, "json"),
      extra: { run, decision, resumed: true },
      lines,
    });
  } finally {
    await log.sink.close();
  }
}

function verdictCommand(decision: "approve" | "reject"): CommandDef {
  const approve = decision === "approve";
  return {
    name: decision,
    summary: approve
      ? "Approve a paused run's pending call and resume the run in the jail"
      : "Reject a paused run's pending call and resume the run in the jail (the model sees the refusal)",
    description:
      `A run pauses for a human when an action policy says "escalate" (or a check asks for
a person): its log holds harness.approval.requested and harness.run.paused ("zu pending" lists
them). This writes harness.approval.resolved (decision, who, reason) into the event log and
resumes the run from its events in the jail, as "zu run" would: harness.run.resumed, then ${
        approve
          ? "the pending call\nruns once (gate decision approved_by_human)"
          : "the call is\nrefused (harness.defense.blocked human_denied)"
      } and the run goes on. An unknown run, a run that is not
paused, an approval id that is not the run's, or a second verdict is refused (exit 2).`,
    positionals: [{ name: "run", description: "The run (task id, or a unique prefix)" }],
    flags: VERDICT_FLAGS,
    examples: [
      `zu ${decision} 3f2a --agent my-agent${approve ? "" : ' --reason "not on a Friday"'}`,
      `zu ${decision} 3f2a --db runs.db --agent my-agent --json`,
    ],
    run: (ctx) => verdict(ctx, decision),
  };
}

/** `zu approve`. */
export const approveCommand: CommandDef = verdictCommand("approve");
/** `zu reject`. */
export const rejectCommand: CommandDef = verdictCommand("reject");
