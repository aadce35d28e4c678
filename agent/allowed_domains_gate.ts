/**
 * `allowed_domains` compiled to an {@link InvocationGate}: a navigation call (`http_fetch`,
 * `render_dom`, `browser`, `action_surface`) whose `url` host and port match no pattern is denied
 * before it runs. The matcher is core's one host policy (`HostAllowlist`), the same one
 * `http_fetch`, the egress proxy and the jail's flags use, so the gate and the tools agree.
 *
 * Grammar (core/host_pattern.ts): `example.com`, `*.example.com` (the apex and every subdomain),
 * `host:port`; a pattern without a port covers ports 80 and 443. A bare `*` is refused.
 *
 * @example
 * ```ts
 * import { AllowedDomainsGate } from "./allowed_domains_gate.ts";
 * const gate = new AllowedDomainsGate(["*.shop.example"]);
 * const ctx = {} as Parameters<AllowedDomainsGate["check"]>[1];
 * console.assert(gate.check({ name: "http_fetch", args: { url: "https://www.shop.example/" } }, ctx) === null);
 * console.assert(gate.check({ name: "http_fetch", args: { url: "https://evil.example/" } }, ctx)?.severity === "deny");
 * ```
 * @module
 */
import type { ToolCall, Verdict } from "../core/contracts.ts";
import type { InvocationGate, RunContext } from "../core/types.ts";
import { HostAllowlist, urlPort } from "../core/host_allowlist.ts";
import { parseHostPattern } from "../core/host_pattern.ts";
import { parseLocalOrigins, withLocalOrigins } from "../core/local_origin.ts";

/** Tools whose `url` argument the gate checks. */
export const NAVIGATION_TOOLS: readonly string[] = Object.freeze([
  "http_fetch",
  "render_dom",
  "browser",
  "action_surface",
]);

/**
 * Checks an `allowed_domains` entry against the host-pattern grammar; returns the trimmed
 * pattern or the one-line reason it is refused.
 *
 * @example
 * ```ts
 * import { checkHostPattern } from "./allowed_domains_gate.ts";
 * console.assert("pattern" in checkHostPattern("*.shop.example"));
 * console.assert("error" in checkHostPattern("*"));
 * ```
 */
export function checkHostPattern(pattern: unknown): { pattern: string } | { error: string } {
  if (typeof pattern !== "string" || pattern.trim() === "") {
    return { error: "must be a non-empty host pattern" };
  }
  try {
    parseHostPattern(pattern);
  } catch (e) {
    return { error: (e as Error).message.replace(/^Cannot use host pattern /, "") };
  }
  return { pattern: pattern.trim() };
}

/** Options of {@link AllowedDomainsGate}. */
export interface AllowedDomainsGateOptions {
  /**
   * Local test origins (`127.0.0.1:8080`, agent.yaml `local_origins`): each is allowed as if it
   * were one more pattern (core/local_origin.ts). Default none.
   */
  localOrigins?: readonly string[];
}

/** Denies navigation calls to hosts outside the allowlist. Fails closed on a crash. */
export class AllowedDomainsGate implements InvocationGate {
  /** Registry name. */
  readonly name = "allowed_domains";
  /** A crash denies. */
  readonly fail_closed_on_crash = true;
  /** The patterns, as configured. */
  readonly patterns: readonly string[];
  readonly #list: HostAllowlist;

  /** Creates the gate over `patterns`; throws `TypeError` on one outside the grammar. */
  constructor(patterns: readonly string[], options: AllowedDomainsGateOptions = {}) {
    const local = parseLocalOrigins(options.localOrigins ?? []);
    this.patterns = Object.freeze(withLocalOrigins(patterns, local)!);
    this.#list = new HostAllowlist(this.patterns);
  }

  /** True when a URL's host and port are allowed (for a tool's per-redirect check). */
  allowsUrl(url: string): boolean {
    try {
      const u = new URL(url);
      const port = urlPort(u);
      return port !== null && this.#list.allows(u.hostname, port);
    } catch {
      return false;
    }
  }

  /** Null (allow) for non-navigation calls and calls without a `url`; deny otherwise when off-list. */
  check(call: ToolCall, _ctx: RunContext): Verdict | null {
    if (!NAVIGATION_TOOLS.includes(call.name)) return null;
    const url = call.args?.url;
    if (typeof url !== "string" || url === "") return null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return {
        severity: "deny",
        detector: this.name,
        detail: `allowed_domains: ${JSON.stringify(url)} is not a valid URL`,
      };
    }
    if (this.allowsUrl(parsed.href)) return null;
    return {
      severity: "deny",
      detector: this.name,
      detail: `allowed_domains: host "${parsed.host}" is not in ${JSON.stringify(this.patterns)}`,
    };
  }
}
