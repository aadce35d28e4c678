// Test helper: a launcher whose runs emit events and finish when the test says so.
import { newEvent } from "../../core/events.ts";
import { Interrupted, UserError } from "../../core/errors.ts";
import type { RunLauncher, RunLaunchRequest } from "./run_registry.ts";

/** Handle on one fake run. */
export interface FakeRun {
  request: RunLaunchRequest;
  /** Emits an event of `type` (payload `{n}`, plus `pad` bytes of filler). */
  emit(type: string, n?: number, pad?: number): void;
  /** Finishes with success. */
  finish(): void;
  /** Settles when the run was aborted (after its terminal event). */
  aborted: Promise<void>;
}

/** A launcher plus a queue of the runs it started. */
export function fakeLauncher(): { launcher: RunLauncher; next(): Promise<FakeRun> } {
  const started: FakeRun[] = [];
  const waiting: ((r: FakeRun) => void)[] = [];
  const launcher: RunLauncher = (request) => {
    if (request.agent === "missing") {
      return Promise.reject(
        new UserError("agent_not_found", 'Cannot find agent "missing": no such file'),
      );
    }
    return Promise.resolve({
      run: ({ signal, onEvent }) =>
        new Promise((resolve, reject) => {
          const task_id = crypto.randomUUID();
          let markAborted = (): void => {};
          const run: FakeRun = {
            request,
            emit: (type, n = 0, pad = 0) =>
              onEvent(newEvent({ task_id, type, payload: { n, pad: "x".repeat(pad) } })),
            finish: () => resolve({ status: "success", result: { value: { ok: true } } }),
            aborted: new Promise<void>((r) => (markAborted = r)),
          };
          signal.addEventListener("abort", () => {
            onEvent(
              newEvent({
                task_id,
                type: "harness.task.terminal",
                payload: { reason: "error:interrupted" },
              }),
            );
            reject(new Interrupted());
            markAborted();
          }, { once: true });
          const w = waiting.shift();
          if (w) w(run);
          else started.push(run);
        }),
    });
  };
  return {
    launcher,
    next: () => {
      const r = started.shift();
      return r ? Promise.resolve(r) : new Promise<FakeRun>((resolve) => waiting.push(resolve));
    },
  };
}
