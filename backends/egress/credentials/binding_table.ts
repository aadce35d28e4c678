/**
 * The operator's `inject` and `placeholder` bindings compiled for the egress proxy: which
 * secrets are eligible for a destination (`host:port`, TLS or plain), and whether a binding
 * names a host explicitly. One rule, used by the interceptor's `claims` and by every request
 * check:
 *
 * - the canonical host matches one of the binding's patterns (`core/host_pattern.ts` grammar:
 *   `host`, `*.domain` covering its apex, `host:port`);
 * - over TLS (a CONNECT), the port is 443 for a pattern without a port, else the pattern's port;
 * - over plain HTTP, the port must also be in the binding's `plaintextPorts` (per secret, per
 *   port; default none).
 *
 * `route` bindings are the broker's, not the proxy's: they are ignored here.
 *
 * @example
 * ```ts
 * import { BindingTable } from "./binding_table.ts";
 * const t = new BindingTable([{ secret: "GH", mode: "inject", hosts: ["api.github.com"], headers: ["Authorization: Bearer {{secret:GH}}"] }]);
 * console.assert(t.eligible("api.github.com", 443, "connect").length === 1);
 * console.assert(t.eligible("api.github.com", 80, "http").length === 0);
 * console.assert(t.eligible("github.com", 443, "connect").length === 0);
 * ```
 * @module
 */
import type { SecretBinding, SecretMode } from "../../../core/types.ts";
import { type HostPattern, parseHostPattern } from "../../../core/host_pattern.ts";
import { type InjectTemplate, parseInjectTemplate } from "./header_rules.ts";

/** A binding ready to match. */
export interface CompiledBinding {
  /** Secret name. */
  readonly secret: string;
  /** `inject` or `placeholder`. */
  readonly mode: SecretMode;
  /** Parsed host patterns. */
  readonly patterns: readonly HostPattern[];
  /** Parsed inject templates (empty for `placeholder`). */
  readonly templates: readonly InjectTemplate[];
  /** Plain-HTTP ports. */
  readonly plaintextPorts: readonly number[];
}

function hostMatches(p: HostPattern, host: string): boolean {
  return p.host === host || (p.wildcard && host.endsWith(`.${p.host}`));
}

function compile(b: SecretBinding): CompiledBinding {
  const patterns = b.hosts.map((h) => parseHostPattern(h));
  if (patterns.length === 0) {
    throw new TypeError(`Cannot bind secret "${b.secret}": the binding names no host`);
  }
  const templates = (b.headers ?? []).map((h) => parseInjectTemplate(h));
  if (b.mode === "inject" && templates.length === 0) {
    throw new TypeError(
      `Cannot bind secret "${b.secret}" in inject mode: give a header template such as "Authorization: Bearer {{secret:${b.secret}}}"`,
    );
  }
  for (const t of templates) {
    const other = t.secrets.find((s) => s !== b.secret);
    if (other !== undefined) {
      throw new TypeError(
        `Cannot bind secret "${b.secret}": its header "${t.name}" names secret "${other}", which is bound on its own`,
      );
    }
  }
  const plaintextPorts = [...(b.plaintextPorts ?? [])];
  for (const p of plaintextPorts) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new RangeError(`Cannot bind secret "${b.secret}": plaintext port "${p}"`);
    }
  }
  return { secret: b.secret, mode: b.mode, patterns, templates, plaintextPorts };
}

/** The compiled `inject`/`placeholder` bindings of a run. */
export class BindingTable {
  #all: CompiledBinding[];
  #explicit: Set<string>;

  /** Compiles `bindings`; throws `TypeError`/`SyntaxError` on a malformed one. */
  constructor(bindings: readonly SecretBinding[]) {
    const proxied = bindings.filter((b) => b.mode === "inject" || b.mode === "placeholder");
    this.#all = proxied.map(compile);
    // Any binding (route included) that names a host without a wildcard names it explicitly.
    this.#explicit = new Set(
      bindings.flatMap((b) => b.hosts.map((h) => parseHostPattern(h)))
        .filter((p) => !p.wildcard).map((p) => p.host),
    );
  }

  /** The bindings eligible for `host:port` over a CONNECT (`connect`) or plain HTTP (`http`). */
  eligible(host: string, port: number, kind: "connect" | "http"): CompiledBinding[] {
    return this.#all.filter((b) =>
      b.patterns.some((p) => {
        if (!hostMatches(p, host)) return false;
        if (kind === "connect") return p.port === null ? port === 443 : p.port === port;
        return b.plaintextPorts.includes(port) && (p.port === null || p.port === port);
      })
    );
  }

  /** Whether some binding names `host` itself (not through a wildcard). */
  namesExplicitly(host: string): boolean {
    return this.#explicit.has(host);
  }

  /** Every compiled binding. */
  all(): readonly CompiledBinding[] {
    return this.#all;
  }
}
