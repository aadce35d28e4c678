/**
 * The NOTIFY side of tailing: sent after commit from its own autocommit statement (so a writer's
 * commit never takes the NOTIFY queue lock), at most one per window per sink. The first commit
 * after a quiet window notifies at once; later ones in the window share one NOTIFY at its end.
 *
 * @module
 */
import type { Sql } from "./pg_connect.ts";

/** Debounced `pg_notify(channel, trace_id)`; a lost NOTIFY only delays a tail until its poll. */
export class NotifyDebouncer {
  #sql: Sql;
  #channel: string;
  #windowMs: number;
  #last = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #payload = "";
  #inflight: Promise<void> | null = null;

  constructor(sql: Sql, channel: string, windowMs: number) {
    this.#sql = sql;
    this.#channel = channel;
    this.#windowMs = windowMs;
  }

  /** Notes a commit on `traceId`. */
  poke(traceId: string): void {
    this.#payload = traceId.length <= 64 ? traceId : "";
    if (this.#timer !== null) return;
    const wait = this.#last + this.#windowMs - performance.now();
    if (wait <= 0) this.#send();
    else this.#timer = setTimeout(() => this.#send(), wait);
  }

  /**
   * When a NOTIFY for `traceId` is due now (a quiet window), queues it on the writer pool and
   * returns true; the caller has just queued its append there, so the NOTIFY runs right after
   * it, as its own statement. Otherwise returns false (the caller pokes after its commit).
   */
  claim(traceId: string): boolean {
    if (this.#timer !== null || this.#last + this.#windowMs - performance.now() > 0) return false;
    this.#payload = traceId.length <= 64 ? traceId : "";
    this.#send();
    return true;
  }

  #send(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#last = performance.now();
    const p = this.#sql.unsafe("select pg_notify($1, $2)", [this.#channel, this.#payload], {
      prepare: true,
    })
      .then(() => {}, () => {/* a hint: the poll delivers anyway */});
    this.#inflight = p;
  }

  /** Sends a NOTIFY that is due, and waits for the last one sent. */
  async flush(): Promise<void> {
    if (this.#timer !== null) this.#send();
    await this.#inflight;
  }
}
