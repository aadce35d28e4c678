/**
 * Byte relaying with an idle timeout for the egress proxy (private).
 * @module
 */

/** The minimal connection surface the relay needs. */
export interface RelayConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  closeWrite?(): Promise<void>;
}

/** Closes a connection, ignoring "already closed". */
export function safeClose(conn: { close(): void } | undefined | null): void {
  try {
    conn?.close();
  } catch {
    // already closed
  }
}

/** Writes all of `data`. */
export async function writeAll(conn: RelayConn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

/** A timer that fires `onIdle` unless touched within `ms`. */
export class IdleTimer {
  #ms: number;
  #onIdle: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #fired = false;

  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
    this.touch();
  }

  /** Whether it fired. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Restarts the countdown. */
  touch(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#fired = true;
      this.#onIdle();
    }, this.#ms);
  }

  /** Stops it for good. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

async function pipe(
  from: RelayConn,
  to: RelayConn,
  idle: IdleTimer,
  count: (n: number) => void,
): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  try {
    while (true) {
      const n = await from.read(buf);
      if (n === null) break;
      idle.touch();
      await writeAll(to, buf.subarray(0, n));
      count(n);
    }
  } catch {
    // a reset or a close by the other direction ends this direction too
  }
  try {
    await to.closeWrite?.();
  } catch {
    // already closed
  }
}

/**
 * Relays bytes both ways until the upstream ends its side (everything it sent has reached the
 * client) or nothing moves for `idleMs`; then closes both connections. Counts client-to-upstream (`up`) and upstream-to-client (`down`) bytes.
 */
export async function relay(
  client: RelayConn,
  upstream: RelayConn,
  idleMs: number,
  counters: { up: number; down: number },
  options: {
    /**
     * Runs before any client byte goes upstream (the upstream-to-client direction already
     * flows): returns the bytes to send first, or null to end the tunnel.
     */
    firstUp?: (idle: IdleTimer) => Promise<Uint8Array | null>;
    /**
     * Replaces the whole client-to-upstream direction (one framed HTTP request, say): once it
     * returns, no further client byte is read or forwarded. A throw ends the exchange.
     */
    up?: (idle: IdleTimer) => Promise<void>;
  } = {},
): Promise<void> {
  const idle = new IdleTimer(idleMs, () => {
    safeClose(client);
    safeClose(upstream);
  });
  try {
    const up = (async () => {
      if (options.up) {
        try {
          await options.up(idle);
        } catch {
          safeClose(client);
          safeClose(upstream);
        }
        return;
      }
      if (options.firstUp) {
        let first: Uint8Array | null;
        try {
          first = await options.firstUp(idle);
        } catch {
          first = null;
        }
        if (first === null) {
          safeClose(client);
          safeClose(upstream);
          return;
        }
        if (first.length > 0) {
          await writeAll(upstream, first);
          counters.up += first.length;
        }
      }
      await pipe(client, upstream, idle, (n) => counters.up += n);
    })().catch(() => {});
    await pipe(upstream, client, idle, (n) => counters.down += n);
    safeClose(client);
    safeClose(upstream);
    await up;
  } finally {
    idle.stop();
    safeClose(client);
    safeClose(upstream);
  }
}
