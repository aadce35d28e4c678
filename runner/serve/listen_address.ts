/**
 * Where `zu serve` listens: a loopback TCP address (`127.0.0.1:8765`, `[::1]:8765`,
 * `localhost:8765`) or a unix socket path. Anything that is not loopback is refused: the
 * server's doors are on this host only.
 *
 * @example
 * ```ts
 * import { parseListen } from "./listen_address.ts";
 * console.assert(parseListen("127.0.0.1:8765").port === 8765);
 * let refused = false;
 * try { parseListen("0.0.0.0:8765"); } catch { refused = true; }
 * console.assert(refused);
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** A parsed loopback TCP address. */
export interface LoopbackAddress {
  /** `127.x.y.z`, `::1` or `localhost` (bound as 127.0.0.1). */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
}

function refuse(text: string, why: string): UserError {
  return new UserError(
    "serve_listen_failed",
    `Cannot listen on "${text}": ${why}`,
  );
}

/** Parses `HOST:PORT`; a host that is not loopback is a user error. */
export function parseListen(text: string): LoopbackAddress {
  const shown = text.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!m) throw refuse(shown, "expected HOST:PORT, e.g. 127.0.0.1:8765");
  const host = (m[1] ?? m[2] ?? "").toLowerCase();
  const port = Number(m[3]);
  if (port > 65535) throw refuse(shown, "the port must be 0-65535");
  if (host === "localhost") return { hostname: "127.0.0.1", port };
  if (host === "::1") return { hostname: "::1", port };
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4 && v4.slice(1).every((o) => Number(o) <= 255)) return { hostname: host, port };
  throw refuse(
    shown,
    "zu serve listens on loopback only (127.0.0.1, ::1, localhost) or a unix socket (--socket)",
  );
}
