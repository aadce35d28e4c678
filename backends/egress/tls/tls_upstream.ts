/**
 * The upstream leg of an intercepted request: TCP to the address the proxy pinned (after its
 * SSRF checks), then TLS verified against the bound host name, ALPN `http/1.1`. Bounded by a
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
  let tcp: Deno.TcpConn | undefined;
  let tlsConn: Deno.TlsConn | undefined;
  let timedOut = false;
  const close = () => {
    for (const c of [tlsConn, tcp]) {
      try {
        c?.close();
      } catch {
        // already closed
      }
    }
  };
  const abort = new AbortController();
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
    close();
  }, timeoutMs);
  let step = "connect to";
  try {
    tcp = await Deno.connect({ hostname: ip, port, transport: "tcp", signal: abort.signal });
    if (timedOut) throw new Error("closed");
    step = "verify TLS of";
    tlsConn = await Deno.startTls(tcp, {
      hostname: serverName,
      alpnProtocols: ["http/1.1"],
      ...(options.caCerts ? { caCerts: [...options.caCerts] } : {}),
    });
    await tlsConn.handshake();
    if (timedOut) throw new Error("closed");
    return tlsConn;
  } catch (err) {
    close();
    if (timedOut) {
      throw new Deno.errors.TimedOut(
        `Cannot ${step} upstream ${where}: timed out after ${timeoutMs} ms`,
      );
    }
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Error(`Cannot ${step} upstream ${where}: ${why}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
