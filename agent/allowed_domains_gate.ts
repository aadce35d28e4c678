/**
 * `allowed_domains` compiled to an {@link InvocationGate}: a navigation call (`http_fetch`,
 * `render_dom`, `browser`, `action_surface`) whose `url` host matches no pattern is denied before
 * it runs. The same matcher is meant for the tools' per-redirect check, so gate and tool agree.
 *
 * Grammar (zu's): `example.com` is exact; `*.example.com` is any subdomain and the apex; `*` is
 * any host; any other `*` placement is a literal glob. Case-folded; a trailing dot is ignored.
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

/** Tools whose `url` argument the gate checks. */
export const NAVIGATION_TOOLS: readonly string[] = Object.freeze([
  "http_fetch",
  "render_dom",
  "browser",
  "action_surface",
]);

/** Lower-cases a host, strips IPv6 brackets and one trailing root dot. */
export function normalizeHost(host: string): string {
  let h = (host ?? "").trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".") && !h.endsWith("..")) h = h.slice(0, -1);
  return h;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** True when `host` matches one allowlist `pattern`. */
export function hostMatches(host: string, pattern: string): boolean {
  const h = normalizeHost(host);
  const p = normalizeHost(pattern);
  if (h === "" || p === "") return false;
  if (p === "*") return true;
  if (p.startsWith("*.")) {
    const suffix = p.slice(2);
    return h === suffix || h.endsWith(`.${suffix}`);
  }
  if (p.includes("*")) return globToRegExp(p).test(h);
  return h === p;
}

/** True when `host` matches any pattern; an empty list matches nothing. */
export function hostMatchesAny(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => hostMatches(host, p));
}

/**
 * Checks an `allowed_domains` entry; returns the trimmed pattern or a reason it is invalid.
 * A pattern is a bare host or wildcard, never a URL.
 */
export function checkHostPattern(pattern: unknown): { pattern: string } | { error: string } {
  if (typeof pattern !== "string" || pattern.trim() === "") {
    return { error: "must be a non-empty host pattern" };
  }
  const s = pattern.trim();
  if (/[\s/:]/.test(s)) {
    return {
      error: `"${s}" is not a host pattern (give a bare host such as "*.example.com", not a URL)`,
    };
  }
  if (normalizeHost(s) === "") return { error: `"${s}" is not a valid host pattern` };
  return { pattern: s };
}

/** Denies navigation calls to hosts outside the allowlist. Fails closed on a crash. */
export class AllowedDomainsGate implements InvocationGate {
  /** Registry name. */
  readonly name = "allowed_domains";
  /** A crash denies. */
  readonly fail_closed_on_crash = true;
  /** The patterns, as configured. */
  readonly patterns: readonly string[];

  /** Creates the gate over `patterns`. */
  constructor(patterns: readonly string[]) {
    this.patterns = Object.freeze([...patterns]);
  }

  /** True when a URL's host is allowed (for a tool's per-redirect check). */
  allowsUrl(url: string): boolean {
    try {
      return hostMatchesAny(new URL(url).hostname, this.patterns);
    } catch {
      return false;
    }
  }

  /** Null (allow) for non-navigation calls and calls without a `url`; deny otherwise when off-list. */
  check(call: ToolCall, _ctx: RunContext): Verdict | null {
    if (!NAVIGATION_TOOLS.includes(call.name)) return null;
    const url = call.args?.url;
    if (typeof url !== "string" || url === "") return null;
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return {
        severity: "deny",
        detector: this.name,
        detail: `allowed_domains: ${JSON.stringify(url)} is not a valid URL`,
      };
    }
    if (hostMatchesAny(host, this.patterns)) return null;
    return {
      severity: "deny",
      detector: this.name,
      detail: `allowed_domains: host "${normalizeHost(host)}" is not in ${
        JSON.stringify(this.patterns)
      }`,
    };
  }
}
