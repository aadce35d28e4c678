/**
 * The event sink of a harden variant: keeps the run's events in order, unlinked (no hash chain,
 * no signature, no JSON check). A variant's events are judged by type and thrown away, never
 * stored or verified, so the chain `MemorySink` builds for them is work nobody reads.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import type { EventFilter, EventSink } from "../core/types.ts";

/** An append-only list of events; answers only unfiltered queries. */
export class ListSink implements EventSink {
  readonly #events: Event[] = [];

  /** Stores `event` as given. */
  append(event: Event): Promise<Event> {
    this.#events.push(event);
    return Promise.resolve(event);
  }

  /** Every event, in order (a filter is refused: nothing in a replay asks for one). */
  query(filter?: EventFilter): Promise<Event[]> {
    if (filter !== undefined && Object.keys(filter).length > 0) {
      return Promise.reject(new TypeError("Cannot filter a ListSink: it answers every event"));
    }
    return Promise.resolve([...this.#events]);
  }

  /** Every event, in order. */
  async *stream(filter?: EventFilter): AsyncIterable<Event> {
    yield* await this.query(filter);
  }

  /** How many events were appended. */
  count(filter?: EventFilter): Promise<number> {
    return this.query(filter).then((all) => all.length);
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to release. */
  [Symbol.asyncDispose](): Promise<void> {
    return Promise.resolve();
  }
}
