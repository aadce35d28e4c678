/**
 * A bounded fan-out: every published item goes to each subscriber's own queue; a subscriber whose
 * queue is full is dropped (it sees `overflow` and then the end), so one slow reader never holds
 * memory or slows the others. Used for the server's global and per-run event streams.
 *
 * @example
 * ```ts
 * import { Fanout } from "./fanout.ts";
 * const hub = new Fanout<number>();
 * const sub = hub.subscribe({ limit: 2 });
 * hub.publish(1);
 * hub.close();
 * const got: number[] = [];
 * for await (const item of sub) if (item.kind === "item") got.push(item.value);
 * console.assert(got.length === 1 && got[0] === 1);
 * ```
 * @module
 */

/** What a subscriber reads: an item, or the notice that it was dropped for falling behind. */
export type FanoutFrame<T> = { kind: "item"; value: T } | { kind: "overflow" };

/** Options of {@link Fanout.subscribe}. */
export interface SubscribeOptions {
  /** Items the subscriber may have waiting before it is dropped. Default 1000. */
  limit?: number;
}

/** One subscriber: an async iterable of frames; `close()` unsubscribes. */
export class Subscription<T> implements AsyncIterable<FanoutFrame<T>> {
  #queue: T[] = [];
  #limit: number;
  #overflowed = false;
  #ended = false;
  #wake: (() => void) | null = null;
  #detach: (s: Subscription<T>) => void;

  /** Created by {@link Fanout.subscribe}. */
  constructor(limit: number, detach: (s: Subscription<T>) => void) {
    this.#limit = limit;
    this.#detach = detach;
  }

  /** Items waiting now. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Whether it was dropped for falling behind. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** Queues `value`; false (and the subscriber dropped) when its queue was full. */
  offer(value: T): boolean {
    if (this.#ended) return false;
    if (this.#queue.length >= this.#limit) {
      this.#overflowed = true;
      this.#end();
      return false;
    }
    this.#queue.push(value);
    this.#poke();
    return true;
  }

  /** Ends the subscription after what is queued. */
  close(): void {
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach(this);
    this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Reads frames until the end; an overflowed subscriber gets one `overflow` frame last. */
  async *[Symbol.asyncIterator](): AsyncGenerator<FanoutFrame<T>> {
    try {
      while (true) {
        if (this.#overflowed) {
          // What was queued before the drop is discarded: the reader is told it lost events.
          this.#queue.length = 0;
          yield { kind: "overflow" };
          return;
        }
        const value = this.#queue.shift();
        if (value !== undefined) {
          yield { kind: "item", value };
          continue;
        }
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.#end();
    }
  }
}

/** Publishes items to bounded subscribers. */
export class Fanout<T> {
  #subs = new Set<Subscription<T>>();
  #closed = false;

  /** Subscribers attached now. */
  get size(): number {
    return this.#subs.size;
  }

  /** A new subscriber that receives every item published from now on. */
  subscribe(options: SubscribeOptions = {}): Subscription<T> {
    const limit = options.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Cannot subscribe: limit must be a positive integer, got ${limit}`);
    }
    const sub = new Subscription<T>(limit, (s) => this.#subs.delete(s));
    if (this.#closed) sub.close();
    else this.#subs.add(sub);
    return sub;
  }

  /** Sends `value` to every subscriber (full ones are dropped). */
  publish(value: T): void {
    for (const sub of [...this.#subs]) sub.offer(value);
  }

  /** Ends every subscription; later subscribers end at once. */
  close(): void {
    this.#closed = true;
    for (const sub of [...this.#subs]) sub.close();
  }
}
