/**
 * Group commit for canonical sinks: appends issued in the same tick (and while a batch is being
 * written) queue up and are written together, in call order, `maxBatch` at most per batch; each
 * append settles with its own stored event or its batch's error. One queue for SQLite and
 * PostgreSQL, and one check of what may be appended.
 *
 * @example
 * ```ts
 * import { GroupCommitQueue } from "./group_commit.ts";
 * import { newEvent } from "../core/events.ts";
 * const sizes: number[] = [];
 * const q = new GroupCommitQueue(async (batch) => {
 *   sizes.push(batch.length);
 *   for (const p of batch) p.resolve(p.event);
 * }, 100);
 * const a = newEvent({ task_id: "t", type: "harness.task.started" });
 * const b = newEvent({ task_id: "t", type: "harness.task.completed" });
 * await Promise.all([q.enqueue(a), q.enqueue(b)]);
 * console.assert(sizes.length === 1 && sizes[0] === 2);
 * ```
 * @module
 */
import type { Event } from "../core/events.ts";

/** One queued append. */
export interface PendingAppend {
  /** The event to store. */
  event: Event;
  /** Settles the append with the stored copy. */
  resolve: (e: Event) => void;
  /** Fails the append. */
  reject: (e: unknown) => void;
}

/** Writes one batch; settles each member (a throw rejects every member of the batch). */
export type WriteBatch = (batch: PendingAppend[]) => Promise<void>;

/** The queue (see the module doc). */
export class GroupCommitQueue {
  #write: WriteBatch;
  #maxBatch: number;
  #pending: PendingAppend[] = [];
  #flushing: Promise<void> | null = null;

  /** A queue writing through `write`, at most `maxBatch` events per batch. */
  constructor(write: WriteBatch, maxBatch: number) {
    this.#write = write;
    this.#maxBatch = Math.max(1, maxBatch);
  }

  /** Queues `event`; resolves with the stored copy once its batch committed. */
  enqueue(event: Event): Promise<Event> {
    return new Promise<Event>((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      if (this.#flushing === null) this.#flushing = this.#flushLoop();
    });
  }

  /**
   * The appends the next batch will start with (at most `maxBatch`, in call order), left in the
   * queue: a writer may prepare them while the current batch is in flight.
   */
  peek(): readonly PendingAppend[] {
    return this.#pending.slice(0, this.#maxBatch);
  }

  /** Waits until every queued append settled. */
  async drain(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
  }

  async #flushLoop(): Promise<void> {
    try {
      // Let appenders resolved in the same tick queue up, so they share one transaction.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          await this.#write(batch);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
        if (this.#pending.length === 0) await Promise.resolve();
      }
    } finally {
      this.#flushing = null;
    }
  }
}

/**
 * Makes `repeat` (a second append of `first`'s event id in the same batch) settle with `first`:
 * the same stored copy, or the same error. One event, one row.
 */
export function settleWithFirst(first: PendingAppend, repeat: PendingAppend): void {
  const [res, rej] = [first.resolve, first.reject];
  first.resolve = (e) => {
    res(e);
    repeat.resolve(e);
  };
  first.reject = (e) => {
    rej(e);
    repeat.reject(e);
  };
}

/**
 * Why `event` may not be appended (the sink is closed, or it is not an event), as the
 * `TypeError` to reject with; null when it may.
 */
export function appendRefusal(event: unknown, closed: boolean): TypeError | null {
  const id = (event as { event_id?: unknown } | null)?.event_id;
  if (closed) return new TypeError(`Cannot append event "${id}": the sink is closed`);
  if (event === null || typeof event !== "object" || typeof id !== "string") {
    return new TypeError("Cannot append: the value is not an event (no event_id)");
  }
  return null;
}

/**
 * The error an append is rejected with when its event cannot be encoded: a `TypeError` saying it
 * is not JSON-serialisable, or an `Error` naming the event; `cause` is the original.
 */
export function appendError(eventId: string, e: unknown): Error {
  const why = e instanceof Error ? e.message : String(e);
  return e instanceof TypeError
    ? new TypeError(`Cannot append event "${eventId}": it is not JSON-serialisable (${why})`, {
      cause: e,
    })
    : new Error(`Cannot append event "${eventId}": ${why}`, { cause: e });
}
