/**
 * Approvals over the event log: the runs paused for a human ({@link pendingApprovals}), a verdict
 * written into the log by any process ({@link resolveApproval}), and the run continued from its
 * events ({@link resumeRun}: in this process, or in the jail like `zu run`). The log is the only
 * state: a verdict and a resume may come from other processes than the run, after a restart.
 *
 * @example
 * ```ts ignore
 * import { pendingApprovals, resolveApproval, resumeRun } from "./approvals.ts";
 * const [first] = await pendingApprovals(sink);
 * await resolveApproval(sink, { run: first.runId, decision: "approve", actor: "ops" });
 * const run = await resumeRun(agent, { sink, run: first.runId, mode: "in-process" });
 * console.log(run.result.status);
 * ```
 * @module
 */
import { EventBus } from "../core/bus.ts";
import { UserError } from "../core/errors.ts";
import { APPROVAL_RESOLVED, type Event, newEvent, RUN_PAUSED } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";
import { uuid5 } from "../core/python/mod.ts";
import { type PausedRun, pausedRunOf, resolutionPayload } from "../agent/approvals.ts";
import type { AgentRegistries } from "../agent/config.ts";
import type { AgentRun } from "./agent_run.ts";
import type { RunHost, RunnableAgent } from "./jailed.ts";
import type { RunLiveOptions } from "./live_run.ts";

/** One run waiting on a human, as `zu pending` lists it. */
export interface PendingApproval {
  /** Always `approval` (clearances are listed by the clearance lane's door). */
  kind: "approval";
  /** The run (task id). */
  runId: string;
  /** The approval id. */
  approvalId: string;
  /** The run's query. */
  query: string;
  /** The call the verdict is bound to, or null. */
  tool: string | null;
  /** Its arguments. */
  args: Record<string, unknown> | null;
  /** What asked (a gate or detector) and its detail. */
  reason: string | null;
  /** Its detail. */
  detail: string | null;
  /** The step it paused at. */
  step: number;
  /** When it paused. */
  pausedAt: string;
  /** `awaiting` (no verdict yet) or `resolved` (verdict written, not resumed yet). */
  state: "awaiting" | "resolved";
  /** The verdict, when written. */
  resolution: { decision: "approve" | "deny"; by: string; reason: string | null } | null;
}

/** The events of run `runId`, in log order. */
export async function runEvents(sink: EventSink, runId: string): Promise<Event[]> {
  return await sink.query({ task_id: runId });
}

function pendingOf(p: PausedRun): PendingApproval {
  return {
    kind: "approval",
    runId: p.taskId,
    approvalId: p.approvalId,
    query: p.query,
    tool: p.pending?.tool ?? null,
    args: p.pending?.args ?? null,
    reason: p.reason,
    detail: p.detail,
    step: p.step,
    pausedAt: p.paused.ts,
    state: p.resolution ? "resolved" : "awaiting",
    resolution: p.resolution
      ? { decision: p.resolution.decision, by: p.resolution.by, reason: p.resolution.reason }
      : null,
  };
}

/** Every run of the log that is paused now (awaiting a verdict, or resolved and not resumed). */
export async function pendingApprovals(sink: EventSink): Promise<PendingApproval[]> {
  const runs = [...new Set((await sink.query({ type: RUN_PAUSED })).map((e) => e.task_id))];
  const out: PendingApproval[] = [];
  for (const id of runs) {
    const p = pausedRunOf(await runEvents(sink, id));
    if (p !== null) out.push(pendingOf(p));
  }
  return out;
}

/** A verdict for {@link resolveApproval}. */
export interface ResolveRequest {
  /** The run (task id). Needed unless `approvalId` is given. */
  run?: string;
  /** The approval id; when given with `run`, it must be that run's pending approval. */
  approvalId?: string;
  /** `approve` runs the pending call; `reject` refuses it (the model reads `reason`). */
  decision: "approve" | "reject";
  /** Who decides (written as `by`). */
  actor: string;
  /** Why. Default none. */
  reason?: string | null;
}

function refuse(message: string): never {
  throw new UserError("approval_invalid", message);
}

/** The paused run a request names; refuses an unknown run, a run not paused, a forged id. */
export async function pausedRunFor(
  sink: EventSink,
  ref: { run?: string; approvalId?: string },
): Promise<PausedRun> {
  let runId = ref.run;
  if (runId === undefined) {
    if (ref.approvalId === undefined) {
      refuse("Cannot resolve an approval: name a run or an approval id");
    }
    const hit = (await sink.query({ type: RUN_PAUSED })).find((e) =>
      e.payload.approval_id === ref.approvalId
    );
    if (hit === undefined) refuse(`Unknown approval "${ref.approvalId}": no run paused for it`);
    runId = hit.task_id;
  }
  const events = await runEvents(sink, runId);
  if (events.length === 0) refuse(`Unknown run "${runId}": the event log has no such run`);
  const paused = pausedRunOf(events);
  if (paused === null) refuse(`Run "${runId}" is not paused`);
  if (ref.approvalId !== undefined && ref.approvalId !== paused.approvalId) {
    refuse(
      `Approval "${ref.approvalId}" is not the pending approval of run "${runId}" (${paused.approvalId})`,
    );
  }
  return paused;
}

/**
 * Appends the verdict (`harness.approval.resolved` {approval_id, decision approve|deny, by,
 * reason, idempotency_key}) to the paused run's log. Refuses (`UserError` `approval_invalid`) an
 * unknown run or approval, a run that is not paused, an approval of another run, and a second
 * verdict: the event id is fixed per approval, so of two concurrent resolvers one wins and the
 * other is refused.
 */
export async function resolveApproval(sink: EventSink, request: ResolveRequest): Promise<Event> {
  if (request.decision !== "approve" && request.decision !== "reject") {
    refuse(`Unknown decision "${String(request.decision)}": approve or reject`);
  }
  const actor = String(request.actor ?? "").trim();
  if (actor === "") refuse("Cannot resolve an approval without an actor (who decides)");
  const paused = await pausedRunFor(sink, request);
  if (paused.resolution !== null) {
    const r = paused.resolution;
    refuse(
      `Approval "${paused.approvalId}" of run "${paused.taskId}" was already resolved (${r.decision} by ${r.by})`,
    );
  }
  const resolutionId = crypto.randomUUID();
  const event = newEvent({
    event_id: uuid5(paused.traceId, `resolved:${paused.approvalId}`),
    task_id: paused.taskId,
    trace_id: paused.traceId,
    parent_id: paused.rootId,
    type: APPROVAL_RESOLVED,
    source: "human",
    payload: {
      ...resolutionPayload(paused.approvalId, paused.pending?.idempotency_key ?? null, {
        decision: request.decision,
        by: actor,
        reason: request.reason ?? null,
      }),
      resolution_id: resolutionId,
    },
  });
  const stored = await sink.append(event);
  if (stored.payload.resolution_id !== resolutionId) {
    refuse(`Approval "${paused.approvalId}" of run "${paused.taskId}" was already resolved`);
  }
  return stored;
}

/** Options of {@link resumeRun}. */
export type ResumeOptions =
  & { sink: EventSink; run: string; onEvent?: (e: Event) => void }
  & (
    | {
      mode: "in-process";
      env?: (name: string) => string | undefined;
      registries?: AgentRegistries;
      signal?: AbortSignal;
    }
    | ({ mode: "jailed"; host: RunHost } & Omit<RunLiveOptions, "sink" | "resume" | "onEvent">)
  );

/**
 * Continues paused run `run` of `agent` once its verdict is in `sink`: in this process, or in the
 * jail exactly as `zu run` runs it (the child gets the run's events on stdin and runs
 * `resumeTask`). Refuses a run that is not paused, has no verdict, or whose agent now asks
 * another task than the paused run.
 */
export async function resumeRun(agent: RunnableAgent, options: ResumeOptions): Promise<AgentRun> {
  const paused = await pausedRunFor(options.sink, { run: options.run });
  if (paused.resolution === null) {
    refuse(`Run "${paused.taskId}" awaits a verdict: approve or reject it first`);
  }
  const query = agent.config.task?.query;
  if (typeof query === "string" && query !== paused.query) {
    refuse(`Run "${paused.taskId}" was paused with another task than "${agent.file}" asks now`);
  }
  if (options.mode === "jailed") {
    const { mode: _, host, sink, run: __, ...live } = options;
    // The host claims the resume before the child starts: a second resumer stops here.
    const { resumedEventFor } = await import("../agent/resume.ts");
    const claim = resumedEventFor(paused);
    const resumed = await sink.append(claim);
    if (resumed.payload.resume_id !== claim.payload.resume_id) {
      refuse(`Run "${paused.taskId}" was already resumed`);
    }
    options.onEvent?.(resumed);
    const { runLive } = await import("./live_run.ts");
    const run = await runLive(host, agent, {
      ...live,
      sink,
      resume: { events: paused.events, resumed },
    });
    return {
      mode: "jailed",
      result: run.result.result,
      events: [resumed, ...run.events],
      task: run.result.task,
      taskId: paused.taskId,
      model: run.result.model,
      replayedTrack: false,
    };
  }
  const env = options.env ?? (() => undefined);
  const { assembleRun } = await import("../agent/config.ts");
  const { resumeTask } = await import("../agent/resume.ts");
  const assembled = await assembleRun(agent.config, {
    env,
    ...(options.registries ? { registries: options.registries } : {}),
  });
  const bus = new EventBus(options.sink);
  const events: Event[] = [];
  bus.subscribe((e) => {
    events.push(e);
    options.onEvent?.(e);
  });
  const result = await resumeTask(
    assembled.spec,
    assembled.provider,
    assembled.plugins,
    bus,
    paused.events,
    { ...assembled.runOptions, env, ...(options.signal ? { signal: options.signal } : {}) },
  );
  return {
    mode: "in-process",
    result,
    events,
    task: assembled.spec.query,
    taskId: paused.taskId,
    model: assembled.provider.model,
    replayedTrack: false,
  };
}
