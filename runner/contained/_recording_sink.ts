/**
 * The contained run's view of the caller's sink (private): records what passes through, and the
 * task id of the first event that names one.
 * @module
 */
import { EGRESS_OBSERVED, type Event } from "../../core/events.ts";
import type { EventFilter, EventSink, QueryOptions, StreamOptions } from "../../core/types.ts";

/** Records what passes through to the caller's sink (which stays the caller's to close). */
export class RecordingSink implements EventSink {
  readonly stored: Event[] = [];
  taskId: string | null = null;
  #inner: EventSink;
  #onEvent: ((event: Event) => void) | undefined;

  constructor(inner: EventSink, onEvent?: (event: Event) => void) {
    this.#inner = inner;
    this.#onEvent = onEvent;
  }

  async append(event: Event): Promise<Event> {
    const stored = await this.#inner.append(event);
    if (this.taskId === null && event.type !== EGRESS_OBSERVED) this.taskId = event.task_id;
    this.stored.push(stored);
    this.#onEvent?.(stored);
    return stored;
  }
  query(filter?: EventFilter, options?: QueryOptions): Promise<Event[]> {
    return this.#inner.query(filter, options);
  }
  stream(filter?: EventFilter, options?: StreamOptions): AsyncIterable<Event> {
    return this.#inner.stream(filter, options);
  }
  count(filter?: EventFilter): Promise<number> {
    return this.#inner.count(filter);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
