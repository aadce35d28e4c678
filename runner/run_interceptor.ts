/**
 * The credential interceptor of one run (the `inject` and `placeholder` bindings): a per-run CA
 * name-constrained to the bound hosts, the run's placeholders (length-matched to the values, which
 * are resolved once here only to learn their length and that they exist), and the egress proxy's
 * hand-off that terminates TLS toward bound hosts and adds or swaps the real value there. The
 * caller plugs {@link RunInterceptor.handoff} into the egress the sandbox uses (the jail's
 * host-side proxy, or the host end of the container sidecar's forward), gives the sandbox
 * {@link RunInterceptor.env} and trusts {@link RunInterceptor.caBundlePem} there; each report
 * becomes a `harness.egress.credential` / `secret_echo` event through {@link RunInterceptor.listen}.
 *
 * @example
 * ```ts ignore
 * import { startRunInterceptor } from "./run_interceptor.ts";
 * await using icpt = await startRunInterceptor(settings);
 * if (icpt) console.log(icpt.hosts, Object.keys(icpt.env));
 * ```
 * @module
 */
import type { SecretBinding, SecretResolver } from "../core/types.ts";
import type { Resolver } from "../core/net_guard.ts";
import type { EgressHandoff, HandoffHead } from "../backends/egress/handoff.ts";
import type { BrokerReport } from "./run_broker.ts";

/** The secret settings the interceptor needs (`SecretSettings` of `./vault` fits). */
export interface InterceptSettings {
  /** Resolves values per request. */
  resolver: SecretResolver;
  /** The operator's bindings (`route` ones are the broker's, ignored here). */
  bindings: readonly SecretBinding[];
  /** What a misplaced placeholder does. Default `block-and-log`. */
  violation?: "block-and-log" | "block" | "block-and-terminate";
}

/** Options of {@link startRunInterceptor}. */
export interface RunInterceptorOptions {
  /** Extra upstream roots (tests: the test CA). */
  caCerts?: string[];
  /** Resolves upstream names (tests). Default the system resolver. */
  dnsResolver?: Resolver;
  /** Local origins the upstream may be on (loopback `host:port`, as agent.yaml's `local_origins`). */
  localOrigins?: readonly string[];
  /** Operator-named non-global ranges. */
  allowCidrs?: readonly string[];
  /** Called on a violation under `block-and-terminate` (stop the sandbox). */
  onTerminate?: () => void;
  /** System roots added to the sandbox's trust bundle. Default the Debian bundle when present. */
  systemRootsPath?: string | null;
}

/** A run's interceptor. */
export interface RunInterceptor extends AsyncDisposable {
  /** Host patterns it claims (the inject/placeholder bindings' hosts). */
  hosts: string[];
  /** The hand-off the egress proxy (or the hand-off socket) gives claimed requests to. */
  handoff: EgressHandoff;
  /** The per-run CA certificate (PEM). Its key never leaves this process. */
  caPem: string;
  /** System roots plus the per-run CA, for the sandbox's trust variables. */
  caBundlePem: string;
  /** Placeholder variables for the sandbox (`GH_TOKEN` → `zu_ph_GH_…`); never a real value. */
  env: Record<string, string>;
  /**
   * The egress proxy's `screen` for plain-HTTP requests to hosts it does not claim: a placeholder
   * in the request line or headers (raw, percent-encoded, JSON-escaped, base64, Basic) is a
   * `403 blocked_placeholder` with a report, and nothing goes upstream.
   */
  screen(request: { host: string; port: number; head: HandoffHead }): {
    status: number;
    reason: string;
    detail?: string;
  } | null;
  /** Sets the receiver of reports (earlier ones are kept and replayed). */
  listen(fn: (report: BrokerReport) => void): void;
  /** Stops reporting (the egress that serves its hand-off owns the connections). */
  close(): Promise<void>;
}

/**
 * Starts the interceptor for the `inject`/`placeholder` bindings of `settings`, or returns null
 * when there are none. Rejects (a `UserError` from the resolver) when a bound secret cannot be
 * resolved, before anything runs.
 */
export async function startRunInterceptor(
  settings: InterceptSettings,
  options: RunInterceptorOptions = {},
): Promise<RunInterceptor | null> {
  const bindings = settings.bindings.filter((b) => b.mode === "inject" || b.mode === "placeholder");
  if (bindings.length === 0) return null;
  const { createRunCa, terminateTls, connectUpstreamTls, sandboxTrustBundle } = await import(
    "../backends/egress/tls/mod.ts"
  );
  const {
    createCredentialInterceptor,
    PlaceholderSet,
    findPlaceholders,
    findInHeaders,
    sha256Prefix,
  } = await import("../backends/egress/credentials/mod.ts");
  const placeholders = new PlaceholderSet();
  const env: Record<string, string> = {};
  for (const b of bindings) {
    if (b.mode !== "placeholder") continue;
    const value = await settings.resolver.resolve(b.secret);
    const ph = placeholders.add(b.secret, value.length);
    env[b.env ?? b.secret] = ph;
  }
  const hosts = [...new Set(bindings.flatMap((b) => [...b.hosts]))];
  const ca = createRunCa({ hosts });
  const pending: BrokerReport[] = [];
  let listener: ((r: BrokerReport) => void) | null = null;
  const emit = (r: BrokerReport) => listener ? listener(r) : pending.push(r);
  const handoff = createCredentialInterceptor({
    bindings,
    resolver: settings.resolver,
    placeholders,
    violation: settings.violation ?? "block-and-log",
    ...(options.localOrigins ? { localOrigins: options.localOrigins } : {}),
    ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
    ...(options.dnsResolver ? { dnsResolver: options.dnsResolver } : {}),
    terminate: (client, prefix, host) => terminateTls(client, prefix, ca.mintLeaf(host)),
    connectUpstream: (host, port, ip) =>
      connectUpstreamTls({
        ip,
        port,
        serverName: host,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      }),
    onCredential: (use) => emit({ kind: "credential", use }),
    onEcho: (echo) => emit({ kind: "echo", echo }),
    ...(options.onTerminate ? { onTerminate: options.onTerminate } : {}),
  });
  // The interceptor owns no listener: the egress that hands it connections closes them.
  const close = (): Promise<void> => {
    listener = () => {};
    return Promise.resolve();
  };
  const screen: RunInterceptor["screen"] = ({ host, port, head }) => {
    if (placeholders.size === 0) return null;
    const hits = [
      ...findPlaceholders(head.target, placeholders),
      ...findInHeaders(head.headers, placeholders),
    ];
    if (hits.length === 0) return null;
    const path = head.target.replace(/^[a-z]+:\/\/[^/]*/i, "").split("?")[0] || "/";
    const seen = new Set<string>();
    for (const hit of hits) {
      if (seen.has(hit.secret)) continue; // one record per secret per request
      seen.add(hit.secret);
      emit({
        kind: "credential",
        use: {
          secret: hit.secret,
          mode: "placeholder",
          host,
          port,
          method: head.method,
          path,
          status: 403,
          outcome: "blocked_placeholder",
          match_form: hit.form,
          placeholder_sha256: sha256Prefix(hit.placeholder),
        },
      });
    }
    if (settings.violation === "block-and-terminate") options.onTerminate?.();
    return {
      status: 403,
      reason: "blocked_placeholder",
      detail: `a placeholder of secret "${
        hits[0]!.secret
      }" headed to "${host}", where it is not bound`,
    };
  };
  return {
    hosts,
    handoff,
    screen,
    caPem: ca.certPem,
    caBundlePem: sandboxTrustBundle(
      ca.certPem,
      options.systemRootsPath !== undefined ? { systemRootsPath: options.systemRootsPath } : {},
    ),
    env,
    listen(fn) {
      listener = fn;
      for (const r of pending.splice(0)) fn(r);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
