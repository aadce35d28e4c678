/**
 * An in-memory canonical event sink: links each event into its trace's hash chain, idempotent on
 * `event_id`. The default sink of tests and of the bus.
 *
 * @example
 * ```ts
 * import { MemorySink } from "./memory_sink.ts";
 * import { newEvent } from "../../core/events.ts";
 * await using sink = new MemorySink();
 * const e = await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * console.assert(e.hash !== null && (await sink.count()) === 1);
 * ```
 * @module
 */
import { linkEvent } from "../../core/chain.ts";
import type { Event } from "../../core/events.ts";
import { zuJson } from "../../core/json.ts";
import type {
  EventFilter,
  EventSink,
  QueryOptions,
  StoredEvent,
  StreamOptions,
} from "../../core/types.ts";
import {
  checkFilterFieldName,
  checkNonNegativeInt,
  compileFilter,
  matchesClauses,
} from "../event_filter.ts";

/** Options of {@link MemorySink}. */
export interface MemorySinkOptions {
  /** HMAC key: linked events get `sig`. Default none (`sig: null`). */
  signKey?: Uint8Array;
  /** ctx fields filters may use (like `registerFilterField`). Default none. */
  filterFields?: Iterable<string>;
}

/** Keeps events in a list in append order; `seq` is the 1-based position. */
export class MemorySink implements EventSink {
  #events: Event[] = [];
  #byId = new Map<string, number>();
  #heads = new Map<string, string | null>();
  #signKey: Uint8Array | null;
  #ctxFields = new Set<string>();
  #closed = false;

  /** Creates an empty sink. */
  constructor(options: MemorySinkOptions = {}) {
    this.#signKey = options.signKey ?? null;
    for (const f of options.filterFields ?? []) this.registerFilterField(f);
  }

  /** Lets filters use `payload.ctx[field]`. */
  registerFilterField(field: string): void {
    checkFilterFieldName(field);
    this.#ctxFields.add(field);
  }

  /** Links and stores `event`; a repeat of a stored `event_id` returns the stored copy. */
  append(event: Event): Promise<Event> {
    try {
      if (this.#closed) {
        throw new TypeError(`Cannot append event "${event.event_id}": the sink is closed`);
      }
      const at = this.#byId.get(event.event_id);
      if (at !== undefined) return Promise.resolve(this.#events[at]!);
      let stored: Event;
      if (event.hash === null || event.hash === undefined) {
        stored = linkEvent(event, this.#heads.get(event.trace_id) ?? null, this.#signKey);
      } else {
        try {
          zuJson(event.payload);
        } catch (e) {
          throw new TypeError(
            `Cannot append event "${event.event_id}": ${e instanceof Error ? e.message : e}`,
          );
        }
        stored = Object.isFrozen(event) ? event : Object.freeze({ ...event });
      }
      this.#byId.set(stored.event_id, this.#events.length);
      this.#events.push(stored);
      this.#heads.set(stored.trace_id, stored.hash);
      return Promise.resolve(stored);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Events matching `filter` with their seq, in seq order. */
  queryWithSeq(filter?: EventFilter, options: QueryOptions = {}): Promise<StoredEvent[]> {
    try {
      const clauses = compileFilter(filter, this.#ctxFields);
      const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
      const limit = checkNonNegativeInt("limit", options.limit, Infinity);
      const out: StoredEvent[] = [];
      for (let i = after; i < this.#events.length && out.length < limit; i++) {
        const e = this.#events[i]!;
        if (matchesClauses(e, clauses)) out.push({ seq: i + 1, event: e });
      }
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Events matching `filter`, in seq order. */
  async query(filter?: EventFilter, options: QueryOptions = {}): Promise<Event[]> {
    return (await this.queryWithSeq(filter, options)).map((s) => s.event);
  }

  /** Events matching `filter`, page by page. */
  async *stream(filter?: EventFilter, options: StreamOptions = {}): AsyncGenerator<Event> {
    const batch = checkNonNegativeInt("batchSize", options.batchSize, 500) || 500;
    let after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    while (true) {
      options.signal?.throwIfAborted();
      const page = await this.queryWithSeq(filter, { afterSeq: after, limit: batch });
      for (const s of page) yield s.event;
      if (page.length < batch) return;
      after = page[page.length - 1]!.seq;
    }
  }

  /** Number of events matching `filter`. */
  async count(filter?: EventFilter): Promise<number> {
    return (await this.queryWithSeq(filter)).length;
  }

  /** The hash of the last event of `traceId`, or null. */
  head(traceId: string): string | null {
    return this.#heads.get(traceId) ?? null;
  }

  /** Refuses further appends. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Same as {@link MemorySink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
