/**
 * `FanoutSink`: one canonical sink plus secondary trace sinks behind the {@link EventSink} port,
 * with the bus's rules (DESIGN §4): append to the canonical sink first (its errors propagate),
 * then hand the linked copy to each trace sink in order, each failure isolated and kept in a
 * bounded ring. Reads go to the canonical sink; `close` closes all of them.
 *
 * It is what a run appends to when its events do not go through an in-process `EventBus` (the
 * jailed child and the container stream them back to the host).
 *
 * @example
 * ```ts
 * import { FanoutSink } from "./fanout_sink.ts";
 * import { MemorySink } from "./memory/mod.ts";
 * import { newEvent } from "../core/events.ts";
 * const trace = new MemorySink();
 * await using sink = new FanoutSink(new MemorySink(), [trace]);
 * const stored = await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * const [copy] = await trace.query();
 * console.assert(copy?.hash === stored.hash);
 * ```
 * @module
 */
import type { Event } from "../core/events.ts";
import type {
  EventFilter,
  EventSink,
  QueryOptions,
  StoredEvent,
  StreamOptions,
} from "../core/types.ts";

/** A trace sink failure, recorded instead of thrown. */
export interface TraceSinkFailure {
  /** Index of the trace sink. */
  sink: number;
  /** The event being delivered ("" for a close). */
  event_id: string;
  /** The error's message. */
  error: string;
}

/** Options of {@link FanoutSink}. */
export interface FanoutSinkOptions {
  /** Size of the failure ring. Default 1000. */
  maxRecordedFailures?: number;
  /** Called with each failure as it is recorded (must not throw). Default: none. */
  onFailure?: (failure: TraceSinkFailure) => void;
}

/** The canonical sink with trace sinks as isolated subscribers. */
export class FanoutSink implements EventSink {
  /** The canonical store. */
  readonly canonical: EventSink;
  /** The secondary trace sinks, in delivery order. */
  readonly traces: readonly EventSink[];
  #failures: TraceSinkFailure[] = [];
  #max: number;
  #onFailure: ((failure: TraceSinkFailure) => void) | null;
  #closed = false;

  /** Wraps `canonical` and `traces` (it owns them: {@link close} closes them). */
  constructor(
    canonical: EventSink,
    traces: readonly EventSink[],
    options: FanoutSinkOptions = {},
  ) {
    this.canonical = canonical;
    this.traces = [...traces];
    this.#max = options.maxRecordedFailures ?? 1000;
    this.#onFailure = options.onFailure ?? null;
  }

  #record(f: TraceSinkFailure): void {
    this.#failures.push(f);
    if (this.#failures.length > this.#max) this.#failures.shift();
    try {
      this.#onFailure?.(f);
    } catch {
      // a reporter's failure is not the run's
    }
  }

  /** Appends to the canonical sink, then to each trace sink (failures recorded, not thrown). */
  async append(event: Event): Promise<Event> {
    const stored = await this.canonical.append(event);
    for (const [i, t] of this.traces.entries()) {
      try {
        await t.append(stored);
      } catch (err) {
        this.#record({
          sink: i,
          event_id: stored.event_id,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
      }
    }
    return stored;
  }

  /** Trace sink failures so far (oldest first, bounded). */
  get failures(): readonly TraceSinkFailure[] {
    return this.#failures;
  }

  /** Reads from the canonical sink. */
  query(filter?: EventFilter, options?: QueryOptions): Promise<Event[]> {
    return this.canonical.query(filter, options);
  }

  /** Streams from the canonical sink. */
  stream(filter?: EventFilter, options?: StreamOptions): AsyncIterable<Event> {
    return this.canonical.stream(filter, options);
  }

  /** Counts in the canonical sink. */
  count(filter?: EventFilter): Promise<number> {
    return this.canonical.count(filter);
  }

  /** Like `query` with each event's seq, when the canonical sink can. */
  queryWithSeq(filter?: EventFilter, options?: QueryOptions): Promise<StoredEvent[]> {
    if (this.canonical.queryWithSeq) return this.canonical.queryWithSeq(filter, options);
    const after = options?.afterSeq ?? 0;
    return this.canonical.query(filter, options).then((events) =>
      events.map((event, i) => ({ seq: after + i + 1, event }))
    );
  }

  /** Closes the canonical sink (errors propagate) and every trace sink (failures recorded). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let first: unknown = null;
    try {
      await this.canonical.close();
    } catch (err) {
      first = err;
    }
    for (const [i, t] of this.traces.entries()) {
      try {
        await t.close();
      } catch (err) {
        this.#record({ sink: i, event_id: "", error: `close: ${String(err)}` });
      }
    }
    if (first !== null) throw first;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
