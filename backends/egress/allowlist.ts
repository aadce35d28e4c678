/**
 * The egress allowlist: exact hosts, `*.domain` wildcards and IP literals, each with an optional
 * `:port`, matched after the same normalisation on both sides (case folding, one trailing dot
 * stripped, IDNA to punycode, IP literals to their canonical text).
 *
 * Wildcard decision: `*.example.com` matches every subdomain (`a.example.com`,
 * `a.b.example.com`) but NOT the apex `example.com`; list the apex separately when it is wanted.
 * (Deno's own `--allow-net=*.example.com` also admits the apex; the proxy is the stricter of the
 * two, so the Deno boundary never lets through what the proxy refused.) A bare `*` is refused:
 * "anywhere" is not an allowlist.
 *
 * @example
 * ```ts
 * import { Allowlist } from "./allowlist.ts";
 * const list = new Allowlist(["API.Example.com.", "*.cdn.test", "origin.test:8080"]);
 * console.assert(list.match("api.example.com", 443) === "exact");
 * console.assert(list.match("img.cdn.test", 443) === "wildcard");
 * console.assert(list.match("cdn.test", 443) === null);
 * console.assert(list.match("origin.test", 80) === null);
 * ```
 * @module
 */
import { domainToASCII } from "node:url";
import { parseIpLiteral } from "../../core/net_guard.ts";

/** One parsed allowlist entry. */
export interface AllowlistEntry {
  /** Normalised host (punycode, lowercase) or canonical IP; without the `*.` for wildcards. */
  host: string;
  /** `*.host` entry. */
  wildcard: boolean;
  /** The host is an IP literal. */
  ip: boolean;
  /** Only this port, or null for any port. */
  port: number | null;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Normalises a host name for matching: trims, strips brackets and one trailing dot, folds case,
 * converts IDNA to punycode, and canonicalises IP literals in any encoding (`2852039166` becomes
 * `169.254.169.254`). Returns null when the text is neither a valid name nor an IP literal.
 *
 * @example
 * ```ts
 * import { normalizeAllowHost } from "./allowlist.ts";
 * console.assert(normalizeAllowHost("BÜCHER.de.") === "xn--bcher-kva.de");
 * console.assert(normalizeAllowHost("0xa9fea9fe") === "169.254.169.254");
 * ```
 */
export function normalizeAllowHost(raw: string): string | null {
  let h = raw.trim();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".") && !h.endsWith("..")) h = h.slice(0, -1);
  if (h === "") return null;
  const literal = parseIpLiteral(h);
  if (literal !== null) return literal;
  if (h.includes(":")) return null;
  const ascii = domainToASCII(h.toLowerCase());
  if (ascii === "" || ascii.length > 253) return null;
  const labels = ascii.split(".");
  if (!labels.every((l) => LABEL.test(l))) return null;
  // A name whose last label is numeric would be parsed as an IPv4 address by a URL parser.
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1] ?? "")) return null;
  return ascii;
}

/**
 * Splits `host[:port]` / `[v6]:port` into its parts. The port is null when absent; port 0 is
 * accepted only with `allowZeroPort` (listen addresses).
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./allowlist.ts";
 * console.assert(splitHostPort("[::1]:443").host === "::1");
 * ```
 */
export function splitHostPort(
  text: string,
  options: { allowZeroPort?: boolean } = {},
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
  // More than one colon without brackets: a bare IPv6 literal with no port.
  if (colon < 0 || t.indexOf(":") !== colon) return { host: t, port: null };
  return { host: t.slice(0, colon), port: parsePort(t.slice(colon + 1), text, min) };
}

function parsePort(text: string, whole: string, min: number): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new TypeError(`Cannot parse port of "${whole}"`);
  const port = Number(text);
  if (port < min || port > 65535) throw new RangeError(`Cannot use port ${port} of "${whole}"`);
  return port;
}

/**
 * Parses one allowlist entry (`host`, `host:port`, `*.domain`, `*.domain:port`, an IP literal,
 * `[v6]:port`). Throws `TypeError` for `*`, malformed names and wildcards over IP literals.
 */
export function parseAllowlistEntry(text: string): AllowlistEntry {
  const { host, port } = splitHostPort(text);
  if (host === "*" || host === "") {
    throw new TypeError(`Cannot allowlist "${text}": name the hosts instead of "*"`);
  }
  const wildcard = host.startsWith("*.");
  const bare = wildcard ? host.slice(2) : host;
  const normal = normalizeAllowHost(bare);
  if (normal === null || normal.includes("*")) {
    throw new TypeError(`Cannot allowlist "${text}": not a host name or IP address`);
  }
  const ip = parseIpLiteral(normal) !== null;
  if (wildcard && ip) throw new TypeError(`Cannot allowlist "${text}": a wildcard over an address`);
  return { host: normal, wildcard, ip, port };
}

/** How a host matched: `"exact"` or `"wildcard"`. */
export type AllowMatch = "exact" | "wildcard";

/** A compiled allowlist. */
export class Allowlist {
  #entries: AllowlistEntry[];

  /** Parses every entry; throws `TypeError` on the first bad one. */
  constructor(entries: readonly string[]) {
    this.#entries = entries.map(parseAllowlistEntry);
  }

  /** The parsed entries. */
  get entries(): readonly AllowlistEntry[] {
    return this.#entries;
  }

  /**
   * How `host` (already normalised with {@link normalizeAllowHost}) on `port` matches, or null.
   * IP literals match only an exact IP entry.
   */
  match(host: string, port: number): AllowMatch | null {
    let best: AllowMatch | null = null;
    for (const e of this.#entries) {
      if (e.port !== null && e.port !== port) continue;
      if (!e.wildcard && e.host === host) return "exact";
      if (e.wildcard && host.endsWith(`.${e.host}`)) best = "wildcard";
    }
    return best;
  }
}
