/**
 * The byte stream the credential interceptor reads and writes: a TLS-terminated tunnel toward
 * the client, a TLS (or plain) connection toward the upstream. `Deno.Conn` and `Deno.TlsConn`
 * are byte streams; so is the TLS lane's `terminateTls` result.
 *
 * @example
 * ```ts
 * import { type ByteStream, writeFull } from "./byte_stream.ts";
 * const sent: number[] = [];
 * const s: ByteStream = {
 *   read: () => Promise.resolve(null),
 *   write: (p) => { sent.push(p[0]!); return Promise.resolve(1); },
 *   close: () => {},
 * };
 * await writeFull(s, new Uint8Array([1, 2, 3]));
 * console.assert(sent.join() === "1,2,3");
 * ```
 * @module
 */

/** A readable, writable, closable byte stream. */
export interface ByteStream {
  /** Reads into `p`; null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; returns how many bytes. */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions. */
  close(): void;
  /** The server name the client asked for, when the stream is a terminated TLS session. */
  readonly sni?: string | null;
  /** The negotiated ALPN protocol, when known. */
  readonly alpn?: string | null;
}

/** Writes all of `data` to `s`. */
export async function writeFull(s: ByteStream, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await s.write(data.subarray(at));
}

/** Closes `s`, ignoring "already closed". */
export function closeQuietly(s: { close(): void } | undefined | null): void {
  try {
    s?.close();
  } catch {
    // already closed
  }
}
