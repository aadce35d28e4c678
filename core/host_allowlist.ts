/**
 * A compiled list of host patterns (the grammar of `host_pattern.ts`): the matcher the
 * `allowed_domains` gate, `http_fetch`, the browser tools and the egress proxy all use.
 *
 * @example
 * ```ts
 * import { HostAllowlist } from "./host_allowlist.ts";
 * const list = new HostAllowlist(["API.Example.com.", "*.cdn.test", "origin.test:8080"]);
 * console.assert(list.match("api.example.com", 443) === "exact");
 * console.assert(list.match("img.cdn.test", 443) === "wildcard");
 * console.assert(list.match("cdn.test", 80) === "wildcard");
 * console.assert(list.match("origin.test", 80) === null);
 * console.assert(list.allows("IMG.CDN.TEST.", 443));
 * ```
 * @module
 */
import { normalizeHost } from "./host_normalize.ts";
import { type HostPattern, parseHostPattern, patternMatches } from "./host_pattern.ts";

/** How a host matched: an exact entry or a `*.domain` entry. */
export type HostMatch = "exact" | "wildcard";

/** A compiled allowlist of host patterns. */
export class HostAllowlist {
  /** The parsed patterns, in order. */
  readonly patterns: readonly HostPattern[];

  /** Parses every entry; throws `TypeError` on the first one outside the grammar. */
  constructor(entries: readonly string[]) {
    this.patterns = Object.freeze(entries.map(parseHostPattern));
  }

  /**
   * How `host` (any spelling: it is normalised here) on `port` matches, or null. An exact entry
   * wins over a wildcard.
   */
  match(host: string, port: number): HostMatch | null {
    const h = normalizeHost(host);
    if (h === null) return null;
    let best: HostMatch | null = null;
    for (const p of this.patterns) {
      if (!patternMatches(p, h, port)) continue;
      if (!p.wildcard) return "exact";
      best = "wildcard";
    }
    return best;
  }

  /** True when `host` on `port` matches some entry. */
  allows(host: string, port: number): boolean {
    return this.match(host, port) !== null;
  }
}

/**
 * The port a URL addresses: its explicit port, else its scheme's default (80 for http and ws,
 * 443 for https and wss), else null.
 *
 * @example
 * ```ts
 * import { urlPort } from "./host_allowlist.ts";
 * console.assert(urlPort(new URL("https://a.test/")) === 443);
 * console.assert(urlPort(new URL("http://a.test:8080/")) === 8080);
 * ```
 */
export function urlPort(url: URL): number | null {
  if (url.port !== "") return Number(url.port);
  if (url.protocol === "http:" || url.protocol === "ws:") return 80;
  if (url.protocol === "https:" || url.protocol === "wss:") return 443;
  return null;
}
