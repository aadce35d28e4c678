/**
 * The egress proxy's upstream dial (private): the pinned address (IPv4 first) or, for a wildcard
 * under Deno's boundary, the name, with a connect timeout; a name dial's reached address must
 * pass the address checks. Failures become the proxy's refusals (502, 504, 403).
 * @module
 */
import { checkHost } from "../../core/net_guard.ts";
import { isNotCapable, Refusal } from "./_proxy_request.ts";
import { safeClose } from "./_relay.ts";

/** What {@link dialUpstream} needs from the proxy. */
export interface DialSettings {
  /** Opens a TCP connection. */
  dialer: (target: { hostname: string; port: number }) => Promise<Deno.Conn>;
  /** Gives up after this long (504). */
  connectMs: number;
  /** Operator-named non-global ranges (for the reached-address check). */
  allowCidrs: readonly string[];
}

/** Dials `host`'s pinned address (or its name when `byName`); returns the connection and the IP. */
export async function dialUpstream(
  settings: DialSettings,
  target: { host: string; pinned: readonly string[]; port: number; byName: boolean },
): Promise<{ conn: Deno.Conn; ip: string }> {
  const { host, pinned, port, byName } = target;
  const ip = pinned.find((a) => !a.includes(":")) ?? pinned[0];
  if (ip === undefined) throw new Refusal(502, "dns_failed", "no address");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = settings.dialer({ hostname: byName ? host : ip, port });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Refusal(504, "connect_timeout")), settings.connectMs);
  });
  let conn: Deno.Conn;
  try {
    conn = await Promise.race([attempt, timeout]);
  } catch (e) {
    attempt.then(safeClose, () => {});
    if (e instanceof Refusal) throw e;
    if (isNotCapable(e)) throw new Refusal(403, "runtime_permission", String(e));
    throw new Refusal(502, "connect_failed", String((e as Error)?.message ?? e));
  } finally {
    clearTimeout(timer);
  }
  if (!byName) return { conn, ip };
  // Name dial (wildcards under Deno's boundary): the address reached must pass the checks.
  const reached = (conn.remoteAddr as Deno.NetAddr).hostname;
  try {
    await checkHost(reached, { allowCidrs: [...settings.allowCidrs] });
  } catch (e) {
    safeClose(conn);
    throw new Refusal(403, "blocked_resolution", String((e as Error).message));
  }
  return { conn, ip: reached };
}
