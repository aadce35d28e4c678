/**
 * The one host-pattern grammar of zu's host policy, shared by `allowed_domains`, a tool's
 * `egress`, the egress proxy's allowlist and the Deno jail's `--allow-net` flags.
 *
 * Grammar: `host`, `*.domain`, `host:port`, `*.domain:port`, IP literals in any encoding, and
 * `[v6]` / `[v6]:port`. Both sides are normalised with `normalizeHost` (case, one trailing dot,
 * IDNA to punycode, IP literals to canonical text).
 *
 * - `*.domain` covers the apex `domain` AND every subdomain (`a.domain`, `a.b.domain`). This is
 *   zu's agent.yaml grammar and exactly what Deno's `--allow-net=*.domain` grants, so a flag
 *   and a check never disagree.
 * - A bare `*`, a `*` anywhere else, a URL, a path and a wildcard over an IP literal are refused.
 * - A pattern without a port means the web's default ports, 80 (http) and 443 (https); the
 *   jail's flags then grant exactly `host:80,host:443`. A declared port means only that port.
 *
 * @example
 * ```ts
 * import { parseHostPattern, patternMatches } from "./host_pattern.ts";
 * const p = parseHostPattern("*.Example.com");
 * console.assert(patternMatches(p, "example.com", 443));
 * console.assert(patternMatches(p, "a.b.example.com", 80));
 * console.assert(!patternMatches(p, "a.example.com", 8080));
 * console.assert(!patternMatches(p, "evilexample.com", 443));
 * ```
 * @module
 */
import { canonicalAddress, normalizeHost } from "./host_normalize.ts";
import { splitHostPort } from "./host_port.ts";

/** The ports a pattern without a port covers: http's 80 and https's 443. */
export const DEFAULT_PORTS: readonly number[] = Object.freeze([80, 443]);

/** One parsed host pattern. */
export interface HostPattern {
  /** The normalised host (punycode name or canonical address), without `*.` for wildcards. */
  readonly host: string;
  /** A `*.domain` pattern: the apex and every subdomain. */
  readonly wildcard: boolean;
  /** The host is an IP literal. */
  readonly ip: boolean;
  /** The one port covered, or null for {@link DEFAULT_PORTS}. */
  readonly port: number | null;
}

/**
 * Parses one pattern (see the module doc). Throws `TypeError` (or `RangeError` for a port out of
 * range) with a one-line reason on anything outside the grammar.
 *
 * @example
 * ```ts
 * import { parseHostPattern } from "./host_pattern.ts";
 * const p = parseHostPattern("[::1]:8080");
 * console.assert(p.host === "::1" && p.ip && p.port === 8080);
 * ```
 */
export function parseHostPattern(text: string): HostPattern {
  const raw = String(text ?? "").trim();
  if (raw === "") throw new TypeError(`Cannot use host pattern "${text}": it is empty`);
  if (/[\s/\\@?#]/.test(raw)) {
    throw new TypeError(
      `Cannot use host pattern "${raw}": give a host such as "*.example.com", not a URL or path`,
    );
  }
  const { host, port } = splitHostPort(raw);
  if (host === "*" || host === "*.") {
    throw new TypeError(`Cannot use host pattern "${raw}": name the hosts instead of "*"`);
  }
  const wildcard = host.startsWith("*.");
  const bare = wildcard ? host.slice(2) : host;
  const normal = bare.includes("*") ? null : normalizeHost(bare);
  if (normal === null) {
    throw new TypeError(`Cannot use host pattern "${raw}": not a host name or IP address`);
  }
  const ip = canonicalAddress(normal) !== null;
  if (wildcard && ip) {
    throw new TypeError(`Cannot use host pattern "${raw}": a wildcard over an IP address`);
  }
  return Object.freeze({ host: normal, wildcard, ip, port });
}

/**
 * True when the normalised `host` on `port` is covered by `pattern`.
 *
 * @example
 * ```ts
 * import { parseHostPattern, patternMatches } from "./host_pattern.ts";
 * console.assert(patternMatches(parseHostPattern("shop.example"), "shop.example", 443));
 * console.assert(!patternMatches(parseHostPattern("shop.example"), "shop.example", 8443));
 * console.assert(patternMatches(parseHostPattern("shop.example:8443"), "shop.example", 8443));
 * ```
 */
export function patternMatches(pattern: HostPattern, host: string, port: number): boolean {
  if (pattern.port === null ? !DEFAULT_PORTS.includes(port) : pattern.port !== port) return false;
  if (host === pattern.host) return true;
  return pattern.wildcard && host.endsWith(`.${pattern.host}`);
}

/** `host:port` as Deno's net flags write it (IPv6 in brackets). */
export function netFlagEntry(host: string, port: number | null): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return port === null ? h : `${h}:${port}`;
}

/**
 * The `--allow-net` entries that grant exactly what `pattern` covers: `host:80,host:443` for a
 * pattern without a port, `host:port` otherwise; `*.domain` stays a wildcard (Deno's wildcard
 * also covers the apex, like the grammar).
 *
 * @example
 * ```ts
 * import { netFlagEntries, parseHostPattern } from "./host_pattern.ts";
 * console.assert(netFlagEntries(parseHostPattern("*.cdn.test")).join() === "*.cdn.test:80,*.cdn.test:443");
 * console.assert(netFlagEntries(parseHostPattern("[::1]:9")).join() === "[::1]:9");
 * ```
 */
export function netFlagEntries(pattern: HostPattern): string[] {
  const host = pattern.wildcard ? `*.${pattern.host}` : pattern.host;
  const ports = pattern.port === null ? DEFAULT_PORTS : [pattern.port];
  return ports.map((p) => netFlagEntry(host, p));
}
