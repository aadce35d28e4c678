/**
 * Splits `host[:port]` and `[v6]:port` text into host and port: the one place zu reads an
 * authority, an allowlist entry or a listen address.
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./host_port.ts";
 * console.assert(splitHostPort("[::1]:443").host === "::1");
 * console.assert(splitHostPort("a.test").port === null);
 * ```
 * @module
 */

/** Options of {@link splitHostPort}. */
export interface SplitHostPortOptions {
  /** Accept port 0 (a listen address: any free port). Default false. */
  allowZeroPort?: boolean;
}

function parsePort(text: string, whole: string, min: number): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new TypeError(`Cannot parse port of "${whole}"`);
  const port = Number(text);
  if (port < min || port > 65535) throw new RangeError(`Cannot use port ${port} of "${whole}"`);
  return port;
}

/**
 * Splits `host[:port]` / `[v6]:port` into its parts; the port is null when absent, and a bare
 * IPv6 literal (more than one colon, no brackets) has no port. Throws `TypeError` on a malformed
 * port or bracket, `RangeError` on a port outside 1..65535 (0 only with `allowZeroPort`).
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./host_port.ts";
 * const { host, port } = splitHostPort("shop.example:8443");
 * console.assert(host === "shop.example" && port === 8443);
 * ```
 */
export function splitHostPort(
  text: string,
  options: SplitHostPortOptions = {},
): { host: string; port: number | null } {
  const min = options.allowZeroPort === true ? 0 : 1;
  const t = text.trim();
  if (t.startsWith("[")) {
    const end = t.indexOf("]");
    if (end < 0) throw new TypeError(`Cannot parse host "${text}": unclosed "["`);
    const rest = t.slice(end + 1);
    if (rest === "") return { host: t.slice(1, end), port: null };
    if (!rest.startsWith(":")) throw new TypeError(`Cannot parse host "${text}": junk after "]"`);
    return { host: t.slice(1, end), port: parsePort(rest.slice(1), text, min) };
  }
  const colon = t.lastIndexOf(":");
  if (colon < 0 || t.indexOf(":") !== colon) return { host: t, port: null };
  return { host: t.slice(0, colon), port: parsePort(t.slice(colon + 1), text, min) };
}
