/**
 * Live clearance of a contained run, host side (private): the run's desk ({@link RunClearance})
 * answers the sidecar over `clearance.sock` in the run's host socket directory (bound into the
 * sidecar only), every request filed under the run the host names; the desk's reports become
 * `harness.egress.pending` / `harness.egress.clearance` events on the run's task once it is
 * known (earlier ones wait), and the task id names the run on the desk (`setRun`).
 * @module
 */
import type { Event } from "../../core/events.ts";
import {
  type ClearanceReport,
  clearanceReportEvent,
  type RunClearance,
} from "../clearance/run_clearance.ts";
import { serveClearanceSocket } from "../../backends/egress/clearance/clearance_socket.ts";
import { grantSocket } from "./host_sockets.ts";
import type { RecordingSink } from "./_recording_sink.ts";

/** The clearance socket's file name in the host socket directory. */
export const CLEARANCE_SOCKET = "clearance.sock";

/** How much longer than the hold the sidecar waits for the host's answer before it denies. */
export const SIDECAR_ANSWER_MARGIN_MS = 5_000;

/** A contained run's clearance, started. */
export interface ContainedClearance {
  /** What the sidecar is told: the socket's file name and how long to wait for an answer. */
  socket: { name: string; timeoutMs: number };
  /** Where the events go (the run's recording sink). */
  attach(sink: RecordingSink): void;
  /** Appends what waits once the task is known; call on each stored event. */
  pump(): void;
  /** Appends what waits; rejects on the first append failure. */
  drain(): Promise<void>;
  /** Stops the socket (every held request is denied) and detaches from the desk. */
  close(): Promise<void>;
}

/** Serves `clearance.sock` in `dir` for `clearance` (hold on: `clearance.holdMs > 0`). */
export async function startContainedClearance(
  clearance: RunClearance,
  dir: string,
  onViolation?: (message: string) => void,
): Promise<ContainedClearance> {
  const path = `${dir}/${CLEARANCE_SOCKET}`;
  const server = await serveClearanceSocket({
    path,
    gate: clearance.gate,
    // The gate files every request under the run's id; this is what the socket passes along.
    runId: () => clearance.runId(),
    ...(onViolation ? { onViolation } : {}),
  });
  try {
    await grantSocket(path);
  } catch (e) {
    await server.close();
    throw e;
  }
  const waiting: ClearanceReport[] = [];
  let sink: RecordingSink | null = null;
  let named = false;
  let chain: Promise<unknown> = Promise.resolve();
  let failure: unknown = null;
  const pump = () => {
    const taskId = sink?.taskId;
    if (!sink || !taskId) return;
    if (!named) {
      named = true;
      clearance.setRun(taskId);
    }
    if (waiting.length === 0) return;
    const trace = sink.stored.find((e) => e.task_id === taskId)?.trace_id ?? taskId;
    const target = sink;
    for (const r of waiting.splice(0)) {
      const event: Event = clearanceReportEvent(r, { task_id: taskId, trace_id: trace });
      chain = chain.then(() => target.append(event)).catch((e) => {
        failure ??= e;
      });
    }
  };
  clearance.listen((r) => {
    waiting.push(r);
    pump();
  });
  return {
    socket: { name: CLEARANCE_SOCKET, timeoutMs: clearance.holdMs + SIDECAR_ANSWER_MARGIN_MS },
    attach: (s) => {
      sink = s;
      pump();
    },
    pump,
    drain: async () => {
      pump();
      await chain;
      if (failure !== null) throw failure;
    },
    close: async () => {
      await server.close();
      clearance.listen(() => {});
    },
  };
}
