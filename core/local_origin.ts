/**
 * Local test origins: the one setting that lets an agent reach a page on this machine's
 * loopback (`local_origins: ["127.0.0.1:8080"]` in agent.yaml). Each entry is a loopback IP
 * literal with an explicit port; only that address on that port opens (the socket, however a URL
 * reaches it: the literal, or a name the host resolves to it), every other port and loopback
 * address stays refused. Metadata, private,
 * unspecified and global addresses, names such as `localhost`, and entries without a port are
 * refused here, so no setting can open more than one loopback port at a time.
 *
 * The entries join the allowlist of the `allowed_domains` gate, `http_fetch` and the egress
 * proxy, and `addressRefusal` (core/address_policy.ts) lets the address pass on that port, so
 * the gate, `http_fetch`, the proxy and the jail's `--allow-net` give the same answer.
 *
 * @example
 * ```ts
 * import { parseLocalOrigin } from "./local_origin.ts";
 * console.assert(parseLocalOrigin("127.0.0.1:8080") === "127.0.0.1:8080");
 * console.assert(parseLocalOrigin("http://[::1]:3000/") === "[::1]:3000");
 * ```
 * @module
 */
import { addressClass } from "./address_class.ts";
import { canonicalAddress } from "./host_normalize.ts";
import { splitHostPort } from "./host_port.ts";

/** `ip:port` as local origins are compared (IPv6 in brackets). */
export function localOriginKey(ip: string, port: number): string {
  return `${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
}

/**
 * Parses one local origin (`127.0.0.1:8080`, `[::1]:8080`, or an `http(s)://` origin with an
 * explicit port) into its canonical `ip:port` text. Throws `TypeError` with a one-line reason
 * when it is not a loopback address with an explicit port.
 *
 * @example
 * ```ts
 * import { parseLocalOrigin } from "./local_origin.ts";
 * let why = "";
 * try { parseLocalOrigin("localhost:8080"); } catch (e) { why = (e as Error).message; }
 * console.assert(why.includes("127.0.0.1"));
 * ```
 */
export function parseLocalOrigin(text: string): string {
  const raw = String(text ?? "").trim();
  const fail = (why: string): never => {
    throw new TypeError(`Cannot use local origin "${raw}": ${why}`);
  };
  let authority = raw;
  if (raw.includes("://")) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return fail("it is not a URL");
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") fail("only http and https are local");
    if (u.port === "") fail("it names no port (write the port the test server listens on)");
    authority = u.host;
  }
  let host: string;
  let port: number | null;
  try {
    ({ host, port } = splitHostPort(authority));
  } catch (e) {
    return fail((e as Error).message);
  }
  if (port === null) fail("it names no port (write it as 127.0.0.1:PORT)");
  const ip = canonicalAddress(host);
  if (ip === null) {
    fail(`"${host}" is not an IP address (write the loopback address, e.g. 127.0.0.1:${port})`);
  }
  const k = addressClass(ip!);
  if (k !== "loopback") {
    fail(
      `address "${ip}" is ${k ?? "global"}, not loopback (local origins are 127.0.0.0/8 or ::1)`,
    );
  }
  if (ip!.includes(":") && ip !== "::1") {
    fail(`address "${ip}" carries a loopback address in IPv6 form (write 127.0.0.1 or ::1)`);
  }
  return localOriginKey(ip!, port!);
}

/**
 * Parses a list of local origins (see {@link parseLocalOrigin}), dropping repeats.
 *
 * @example
 * ```ts
 * import { parseLocalOrigins } from "./local_origin.ts";
 * console.assert(parseLocalOrigins(["127.0.0.1:9", "127.0.0.1:9"]).length === 1);
 * ```
 */
export function parseLocalOrigins(texts: readonly string[]): string[] {
  return [...new Set(texts.map(parseLocalOrigin))];
}

/**
 * An allowlist with the local origins added (the entries the gate, `http_fetch` and the proxy
 * match a URL against). `null` (no allowlist) stays null: the address policy alone decides.
 *
 * @example
 * ```ts
 * import { withLocalOrigins } from "./local_origin.ts";
 * console.assert(withLocalOrigins(["shop.test"], ["127.0.0.1:9"])?.join() === "shop.test,127.0.0.1:9");
 * ```
 */
export function withLocalOrigins(
  allowlist: readonly string[] | null,
  localOrigins: readonly string[] | undefined,
): string[] | null {
  if (allowlist === null) return null;
  const out = [...allowlist];
  for (const o of localOrigins ?? []) if (!out.includes(o)) out.push(o);
  return out;
}
