/**
 * The contained run's credential reports as events (private): each use of a secret the host-side
 * broker or interceptor reports becomes a `harness.egress.credential` (or `secret_echo`) event
 * in the run's canonical log, once the run's task id is known (reports before it wait).
 * @module
 */
import { EGRESS_CREDENTIAL, EGRESS_SECRET_ECHO, type Event, newEvent } from "../../core/events.ts";
import type { BrokerReport } from "../run_broker.ts";
import type { ContainedReportSource } from "./contained_vault.ts";
import type { RecordingSink } from "./_recording_sink.ts";

function reportEvent(
  source: ContainedReportSource,
  r: BrokerReport,
  task: { task_id: string; trace_id: string },
  runId: string,
): Event {
  return newEvent({
    task_id: task.task_id,
    trace_id: task.trace_id,
    type: r.kind === "credential" ? EGRESS_CREDENTIAL : EGRESS_SECRET_ECHO,
    source,
    payload: r.kind === "credential"
      ? { ...r.use, run_id: runId }
      : { ...r.echo, ...(source === "model_broker" ? { mode: "route" } : {}), run_id: runId },
  });
}

/** Buffers reports until the sink names the task, then appends them in order. */
export class CredentialReports {
  #pending: { source: ContainedReportSource; report: BrokerReport }[] = [];
  #sink: RecordingSink | null = null;
  #runId = "";
  #chain: Promise<unknown> = Promise.resolve();
  #failure: unknown = null;

  /** Receives one report (a {@link ContainedReporter}). */
  readonly report = (source: ContainedReportSource, report: BrokerReport): void => {
    this.#pending.push({ source, report });
    this.pump();
  };

  /** Where the events go from now on. */
  attach(sink: RecordingSink, runId: string): void {
    this.#sink = sink;
    this.#runId = runId;
    this.pump();
  }

  /** Appends what waits, when the task is known (called on each stored event too). */
  pump(): void {
    const sink = this.#sink;
    const taskId = sink?.taskId;
    if (!sink || !taskId || this.#pending.length === 0) return;
    const trace = sink.stored.find((e) => e.task_id === taskId)?.trace_id ?? taskId;
    const runId = this.#runId;
    for (const { source, report } of this.#pending.splice(0)) {
      const event = reportEvent(source, report, { task_id: taskId, trace_id: trace }, runId);
      this.#chain = this.#chain.then(() => sink.append(event)).catch((e) => {
        this.#failure ??= e;
      });
    }
  }

  /** Appends what waits and resolves when every append is done (rejects on the first failure). */
  async drain(): Promise<void> {
    this.pump();
    await this.#chain;
    if (this.#failure !== null) throw this.#failure;
  }
}
