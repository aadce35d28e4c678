/**
 * `spareDialer`: keeps one connection dialled ahead, so a caller that needs a fresh connection
 * (a hijacked exec attach cannot reuse a pooled one) gets one whose slow set-up (an SSH login,
 * about 0.5 s on loopback) is already done. The spare is closed after `idleMs` unused, and by
 * {@link SpareDialer.release}; a spare never lives longer than that, so a failed or stale one
 * costs at most one call.
 *
 * @example
 * ```ts
 * import { spareDialer } from "./spare_dialer.ts";
 * let dialled = 0;
 * const conn = () => Promise.resolve({ n: ++dialled, close() {} });
 * const spare = spareDialer(conn, 1000);
 * const first = await spare.take(); // dials it, and a spare
 * console.assert(first.n === 1 && dialled === 2);
 * spare.release();
 * ```
 * @module
 */

/** A dialler with one connection kept ready. */
export interface SpareDialer<C extends { close(): void }> {
  /** The spare (dialling the next one), or a fresh connection when there is none. */
  take(): Promise<C>;
  /** Closes the spare, if any. */
  release(): void;
}

/** One spare of `dial()`'s connections, closed after `idleMs` unused (see the module doc). */
export function spareDialer<C extends { close(): void }>(
  dial: () => Promise<C>,
  idleMs: number,
): SpareDialer<C> {
  let spare: { conn: Promise<C>; timer: ReturnType<typeof setTimeout> } | null = null;
  const drop = (s: { conn: Promise<C> }) => s.conn.then((c) => c.close(), () => {});
  const refill = () => {
    const conn = dial();
    conn.catch(() => {}); // reported to whoever takes it
    const timer = setTimeout(() => {
      if (spare?.conn !== conn) return;
      spare = null;
      drop({ conn });
    }, idleMs);
    Deno.unrefTimer(timer);
    spare = { conn, timer };
  };
  return {
    take() {
      const s = spare;
      spare = null;
      if (s) clearTimeout(s.timer);
      const conn = s ? s.conn : dial();
      refill();
      return conn;
    },
    release() {
      const s = spare;
      spare = null;
      if (!s) return;
      clearTimeout(s.timer);
      drop(s);
    },
  };
}
