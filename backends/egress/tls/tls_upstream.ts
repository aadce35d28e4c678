/**
 * The upstream leg of an intercepted request: TCP to the address the proxy pinned (after its
 * SSRF checks), then TLS verified against the bound host name, ALPN `http/1.1`, Nagle off. Bounded by a
 * timeout; the connection is closed on any failure, and the error names the host and address.
 *
 * @example
 * ```ts ignore
 * import { connectUpstreamTls } from "./tls_upstream.ts";
 * const conn = await connectUpstreamTls({ ip: "140.82.112.6", port: 443, serverName: "api.github.com" });
 * await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: api.github.com\r\n\r\n"));
 * ```
 * @module
 */

/** The default bound on connect plus handshake: 10 s. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** Options of {@linkcode connectUpstreamTls}. */
export interface UpstreamTlsOptions {
  /** The pinned address to dial (never resolved again). */
  readonly ip: string;
  /** The port. */
  readonly port: number;
  /** The name to send as SNI and to verify the certificate against. */
  readonly serverName: string;
  /** Extra trusted roots (PEM), in addition to the default ones. */
  readonly caCerts?: readonly string[];
  /** Bound on connect plus handshake, in ms. Default {@link UPSTREAM_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

function stripBrackets(ip: string): string {
  return ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
}

/**
 * Dials `options.ip:port`, then runs a TLS handshake for `options.serverName`. Resolves to the
 * handshaken `Deno.TlsConn`; rejects with an error that names the host and address (connect
 * failure, certificate failure, or `Deno.errors.TimedOut`).
 *
 * @example
 * ```ts ignore
 * import { connectUpstreamTls } from "./tls_upstream.ts";
 * const conn = await connectUpstreamTls({ ip: "127.0.0.1", port: 8443, serverName: "api.test", caCerts: [testCa] });
 * conn.close();
 * ```
 */
export async function connectUpstreamTls(options: UpstreamTlsOptions): Promise<Deno.TlsConn> {
  const { port, serverName } = options;
  const ip = stripBrackets(options.ip);
  const timeoutMs = options.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
  const where = `"${serverName}" at ${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
  let conn: Deno.Conn | undefined;
  let timedOut = false;
  const close = () => {
    try {
      conn?.close();
    } catch {
      // already closed
    }
  };
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Closing a connection does not settle a pending handshake, so the deadline is raced.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
      close();
      reject(new Deno.errors.TimedOut(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  deadline.catch(() => {});
  let step = "connect to";
  try {
    conn = await Promise.race([
      Deno.connect({ hostname: ip, port, transport: "tcp", signal: abort.signal }),
      deadline,
    ]);
    step = "verify TLS of";
    // No Nagle: TLS writes whole records, and a held-back small write costs a delayed ACK.
    (conn as Deno.TcpConn).setNoDelay(true);
    const tls = await Deno.startTls(conn as Deno.TcpConn, {
      hostname: serverName,
      alpnProtocols: ["http/1.1"],
      ...(options.caCerts ? { caCerts: [...options.caCerts] } : {}),
    });
    conn = tls;
    const handshake = tls.handshake();
    handshake.catch(() => {});
    await Promise.race([handshake, deadline]);
    return tls;
  } catch (err) {
    close();
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const message = `Cannot ${step} upstream ${where}: ${why}`;
    if (timedOut) throw new Deno.errors.TimedOut(message);
    throw new Error(message, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
