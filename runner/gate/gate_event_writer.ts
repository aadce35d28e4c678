/**
 * Writes the git gate's events into a run's canonical sink, in order, on the run's task: the
 * `onEvent` of the gate pieces for a live run.
 *
 * @example
 * ```ts
 * import { gateEventWriter } from "./gate_event_writer.ts";
 * import { MemorySink } from "../../sinks/memory/memory_sink.ts";
 * const sink = new MemorySink();
 * const write = gateEventWriter(sink);
 * write("run-1", "harness.git_gate.pushed", { repo: "app" });
 * await write.flushed();
 * console.assert((await sink.query({ task_id: "run-1" })).length === 1);
 * ```
 * @module
 */
import { newEvent } from "../../core/events.ts";
import type { EventSink } from "../../core/types.ts";

/** The writer: call it with an event; `flushed()` resolves once every write so far ended. */
export interface GateEventWriter {
  (run: string, type: string, payload: Record<string, unknown>): void;
  /** Resolves when the writes so far are stored (or failed: a failed write is dropped). */
  flushed(): Promise<void>;
}

/** A writer of gate events into `sink` (source `git_gate`). */
export function gateEventWriter(sink: EventSink): GateEventWriter {
  let chain: Promise<void> = Promise.resolve();
  const write = ((run: string, type: string, payload: Record<string, unknown>) => {
    chain = chain.then(() =>
      sink.append(newEvent({ task_id: run, type, source: "git_gate", payload })).then(
        () => {},
        () => {},
      )
    );
  }) as GateEventWriter;
  write.flushed = () => chain;
  return write;
}
