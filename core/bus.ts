/**
 * The event bus: append to the one canonical sink first, then notify subscribers one at a time,
 * each failure isolated in a bounded ring.
 *
 * @example
 * ```ts
 * import { EventBus } from "./bus.ts";
 * import { MemorySink } from "../sinks/memory/memory_sink.ts";
 * import { newEvent } from "./events.ts";
 * const bus = new EventBus(new MemorySink());
 * const seen: string[] = [];
 * bus.subscribe((e) => { seen.push(e.type); });
 * const linked = await bus.publish(newEvent({ task_id: "t", type: "harness.task.started" }));
 * console.assert(linked.hash !== null && seen.length === 1);
 * await bus.close();
 * ```
 * @module
 */
import type { Event } from "./events.ts";
import type { EventFilter, EventSink, QueryOptions, StreamOptions } from "./types.ts";

/** A subscriber; may be async. */
export type Subscriber = (event: Event) => void | Promise<void>;

/** A recorded subscriber failure. */
export interface SubscriberFailure {
  /** The event being delivered. */
  event_id: string;
  /** The error's message. */
  error: string;
}

/** Options of {@link EventBus}. */
export interface EventBusOptions {
  /** Size of the failure ring. Default 1000. */
  maxRecordedFailures?: number;
}

/** Append-before-notify bus over one canonical sink. */
export class EventBus implements AsyncDisposable {
  /** The canonical store. */
  readonly sink: EventSink;
  #subscribers: Subscriber[] = [];
  #destinations: EventSink[] = [];
  #failures: SubscriberFailure[] = [];
  #max: number;
  #closed = false;

  /** Creates a bus over `sink`. */
  constructor(sink: EventSink, options: EventBusOptions = {}) {
    this.sink = sink;
    this.#max = options.maxRecordedFailures ?? 1000;
  }

  /** Appends to the canonical sink (errors propagate), then notifies each subscriber in order. */
  async publish(event: Event): Promise<Event> {
    if (this.#closed) throw new TypeError("Cannot publish: the event bus is closed");
    const stored = await this.sink.append(event);
    for (const fn of this.#subscribers) {
      try {
        await fn(stored);
      } catch (err) {
        this.#failures.push({
          event_id: stored.event_id,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        if (this.#failures.length > this.#max) this.#failures.shift();
      }
    }
    return stored;
  }

  /** Registers a subscriber. Returns a function that unsubscribes it. */
  subscribe(fn: Subscriber): () => void {
    this.#subscribers.push(fn);
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== fn);
    };
  }

  /** Adds a secondary sink as an isolated subscriber (closed with the bus). */
  addDestination(sink: EventSink): void {
    this.#destinations.push(sink);
    this.subscribe(async (e) => {
      await sink.append(e);
    });
  }

  /** Failures recorded so far (oldest first, bounded). */
  get subscriberFailures(): readonly SubscriberFailure[] {
    return this.#failures;
  }

  /** Reads from the canonical sink. */
  query(filter?: EventFilter, options?: QueryOptions): Promise<Event[]> {
    return this.sink.query(filter, options);
  }

  /** Streams from the canonical sink. */
  stream(filter?: EventFilter, options?: StreamOptions): AsyncIterable<Event> {
    return this.sink.stream(filter, options);
  }

  /** Counts in the canonical sink. */
  count(filter?: EventFilter): Promise<number> {
    return this.sink.count(filter);
  }

  /** Closes the canonical sink and every destination; idempotent; failures isolated. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [this.sink, ...this.#destinations]) {
      try {
        await s.close();
      } catch (err) {
        this.#failures.push({ event_id: "", error: `close: ${String(err)}` });
      }
    }
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
