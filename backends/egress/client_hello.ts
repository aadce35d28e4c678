/**
 * The start of a CONNECT tunnel, for handlers of the hand-off seam (`handoff.ts`) outside this
 * folder: the client's first bytes read until they hold a complete TLS ClientHello (reassembled
 * across records and reads, bounded in bytes and time), and the server name it asks for. The
 * same reader the egress proxy uses against domain fronting.
 *
 * @example
 * ```ts
 * import { readClientHelloStart } from "./client_hello.ts";
 * const notTls = { read: () => Promise.resolve(null) };
 * const r = await readClientHelloStart(notTls, new TextEncoder().encode("GET / HTTP/1.1\r\n"), 100);
 * console.assert(!r.ok && r.reason === "not_tls");
 * ```
 * @module
 */
import { readTunnelStart, SNI_DEADLINE_MS } from "./_proxy_request.ts";

/** The bytes read so far and the ClientHello's server name (null: none), or why not. */
export type ClientHelloStart =
  | { ok: true; bytes: Uint8Array; sni: string | null }
  | { ok: false; reason: string; detail: string };

/** Default time a client has to send its whole ClientHello (ms). */
export const CLIENT_HELLO_DEADLINE_MS: number = SNI_DEADLINE_MS;

/**
 * Reads `client` (after the `already` bytes) until a complete ClientHello is in, or refuses:
 * `not_tls`, `malformed_client_hello`, `client_hello_too_large`, `sni_timeout`,
 * `client_hello_truncated`, `closed_empty`. On success `bytes` are every byte read (hand them to
 * the TLS terminator as its prefix).
 */
export function readClientHelloStart(
  client: { read(p: Uint8Array): Promise<number | null> },
  already: Uint8Array,
  deadlineMs: number = CLIENT_HELLO_DEADLINE_MS,
): Promise<ClientHelloStart> {
  return readTunnelStart(client, already, deadlineMs);
}
