/**
 * The refusals of an egress proxy, as its `log` reports them, for a client that only saw its
 * connection fail: a CONNECT answered 403 makes `fetch` reject without the status or the
 * `X-Zu-Egress-Refused` header, so the jail's fetch relay asks this book why. The proxy writes
 * its decision line right after the answer; {@link ProxyDecisionBook.refusalFor} waits for it
 * (bounded), event-driven.
 *
 * @example
 * ```ts
 * import { ProxyDecisionBook } from "./proxy_decision_book.ts";
 * const book = new ProxyDecisionBook();
 * const mark = book.mark();
 * book.log({ event: "proxy.decision", host: "x.test", port: 443, allowed: false, reason: "operator" });
 * const why = await book.refusalFor("x.test", 443, mark, 100);
 * console.assert(why?.reason === "operator");
 * ```
 * @module
 */

/** Why the proxy refused a connection. */
export interface ProxyRefusal {
  /** The decision's reason (`operator`, `clearance_timeout`, `blocked_resolution`, ...). */
  reason: string;
  /** Its detail, when the proxy gave one. */
  message: string;
}

interface Line {
  seq: number;
  host: string;
  port: number;
  refusal: ProxyRefusal | null;
}

/** Keeps the latest decision lines (bounded) and wakes the waiters. */
export class ProxyDecisionBook {
  #lines: Line[] = [];
  #seq = 0;
  #waiters = new Set<() => void>();
  #keep: number;

  /** Keeps at most `keep` lines (default 256). */
  constructor(keep = 256) {
    this.#keep = keep;
  }

  /** The proxy's `log` option: records `proxy.decision` lines, ignores the rest. */
  readonly log = (line: Record<string, unknown>): void => {
    if (line.event !== "proxy.decision") return;
    const refusal = line.allowed === false && typeof line.reason === "string" && line.reason
      ? {
        reason: line.reason,
        message: typeof line.detail === "string" ? line.detail : "",
      }
      : null;
    this.#lines.push({
      seq: ++this.#seq,
      host: String(line.host ?? ""),
      port: Number(line.port ?? 0),
      refusal,
    });
    if (this.#lines.length > this.#keep) this.#lines.shift();
    for (const wake of [...this.#waiters]) wake();
  };

  /** A position: only lines after it answer {@link refusalFor}. */
  mark(): number {
    return this.#seq;
  }

  #find(host: string, port: number, after: number): Line | undefined {
    for (let i = this.#lines.length - 1; i >= 0; i--) {
      const l = this.#lines[i]!;
      if (l.seq <= after) return undefined;
      if (l.host === host && l.port === port) return l;
    }
    return undefined;
  }

  /**
   * The refusal of the first decision about `host:port` after `after`, waiting at most
   * `waitMs` for it; null when it was allowed or none came.
   */
  refusalFor(
    host: string,
    port: number,
    after: number,
    waitMs = 1000,
  ): Promise<ProxyRefusal | null> {
    const now = this.#find(host, port, after);
    if (now) return Promise.resolve(now.refusal);
    return new Promise((resolve) => {
      const done = (v: ProxyRefusal | null): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const check = (): void => {
        const l = this.#find(host, port, after);
        if (l) done(l.refusal);
      };
      const timer = setTimeout(() => done(null), waitMs);
      this.#waiters.add(check);
    });
  }
}
