/**
 * The credential interceptor: the egress proxy's hand-off handler (`../handoff.ts`) for
 * destinations that have an `inject` or `placeholder` binding. Everything else stays an opaque
 * tunnel in the proxy.
 *
 * A claimed CONNECT goes: address check (`resolveHost`: DNS rebinding to loopback or metadata
 * is refused before any secret is touched) → `200 Connection Established` → the ClientHello
 * (its SNI must be the CONNECT host) → `terminate` (the per-run CA's leaf, ALPN `http/1.1`) →
 * HTTP/1.1 requests one after another on the decrypted stream, each checked on its own:
 *
 * 1. TRACE/TRACK → 405 (`blocked_method`): their response echoes the request.
 * 2. `Host` and an absolute-form authority must name the CONNECT host and port → else 421
 *    (`blocked_host_mismatch`).
 * 3. A provider login/token endpoint (`auth_endpoints.ts`) on a host no binding names
 *    explicitly → 403 (`blocked_auth_endpoint`).
 * 4. A placeholder of a secret not eligible for this destination, in any form, in the request
 *    line, a header, a Basic credential or the body → 403 (`blocked_placeholder`); upstream
 *    gets nothing.
 * 5. Else the inject templates are applied (the client's same-named headers replaced) and the
 *    eligible placeholders in header values and Basic credentials are swapped for the values,
 *    resolved for this request (a rotation applies to the next one). The request goes upstream
 *    (`connectUpstream` to the pinned address; one connection per tunnel), and the response
 *    comes back with every eligible value redacted (`response_redact.ts`).
 *
 * Each refusal ends the tunnel. One `CredentialUse` per secret used or refused per request
 * (`no_binding` for each eligible secret when a forwarded request used none; never the value;
 * a placeholder only as `sha256Prefix`), one `SecretEcho` per secret and place redacted.
 * Violation modes: `block-and-log` (default: the refusal, the event and a `log` line), `block`
 * (the refusal and the event), `block-and-terminate` (also `onTerminate()`, which kills the
 * sandbox). A plain `http://` request on a port a binding lists in `plaintextPorts` takes the
 * same path without TLS (one request per connection, like the proxy).
 *
 * Bounds: a request body is read whole (at most `maxBodyBytes`, 413 above) and scanned before
 * anything goes upstream; bound hosts are asked for `Accept-Encoding: identity` so responses can
 * be scanned; at most `maxTunnels` intercepted connections at once (503 above); the ClientHello
 * and the TLS handshake each within `handshakeTimeoutMs`; a tunnel idle for `timeoutMs` closes.
 * Placeholders headed to a host with no binding at all are not seen: that tunnel is the proxy's
 * opaque one (only bound hosts are terminated).
 *
 * @example
 * ```ts ignore
 * import { createCredentialInterceptor } from "./credential_interceptor.ts";
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { startEgressProxy } from "../egress_proxy.ts";
 * const handoff = createCredentialInterceptor({
 *   bindings: [{ secret: "GH", mode: "inject", hosts: ["api.github.com"], headers: ["Authorization: Bearer {{secret:GH}}"] }],
 *   resolver: vault, placeholders: new PlaceholderSet(),
 *   terminate: (client, prefix, host) => terminateTls(client, prefix, ca.mintLeaf(host)),
 *   connectUpstream: (host, port, ip) => connectUpstreamTls({ ip, port, serverName: host }),
 *   onCredential: (use) => bus.emit(EGRESS_CREDENTIAL, use),
 *   onEcho: (echo) => bus.emit(EGRESS_SECRET_ECHO, echo),
 * });
 * await using proxy = await startEgressProxy({ allowlist: ["api.github.com"], handoff });
 * ```
 * @module
 */
import type {
  CredentialOutcome,
  CredentialUse,
  SecretBinding,
  SecretEcho,
  SecretResolver,
} from "../../../core/types.ts";
import { checkHost, type Resolver } from "../../../core/net_guard.ts";
import { canonicalAddress, normalizeHost } from "../../../core/host_normalize.ts";
import { SecurityBlock } from "../../../core/errors.ts";
import type { EgressHandoff, HandoffRequest, HandoffResult } from "../handoff.ts";
import { readClientHelloStart } from "../client_hello.ts";
import { type ByteStream, closeQuietly, writeFull } from "./byte_stream.ts";
import { BindingTable, type CompiledBinding } from "./binding_table.ts";
import type { PlaceholderSet } from "./placeholder.ts";
import { findPlaceholders } from "./placeholder_scan.ts";
import { AUTH_ENDPOINTS, type AuthEndpoint } from "./auth_endpoints.ts";
import { type Http1Head, Http1Reader, HttpError } from "./_http1.ts";
import { targetPath } from "./_request_target.ts";
import { latin1Bytes } from "./_text_views.ts";
import {
  handleInterceptedRequest,
  Idle,
  refusalBytes,
  type RequestContext,
  type Tunnel,
} from "./_intercepted_request.ts";

/** What to do on a placeholder headed where its secret is not bound. */
export type ViolationMode = "block-and-log" | "block" | "block-and-terminate";

/** Options of {@link createCredentialInterceptor}. */
export interface InterceptorOptions {
  /** The operator's bindings (`route` ones are ignored here). */
  bindings: readonly SecretBinding[];
  /** Resolves a secret's current value (called per request). */
  resolver: SecretResolver;
  /** The run's placeholders (the sandbox's env holds them). */
  placeholders: PlaceholderSet;
  /** Default `block-and-log`. */
  violation?: ViolationMode;
  /**
   * The pinned addresses of `host:port` after the SSRF checks; rejects to refuse. Default
   * `core/net_guard.ts` `checkHost` with `allowCidrs`, `localOrigins` and `dnsResolver`.
   */
  resolveHost?: (host: string, port: number) => Promise<string[]>;
  /** For the default `resolveHost`: operator-named non-global ranges. Default none. */
  allowCidrs?: readonly string[];
  /** For the default `resolveHost`: local test origins (`127.0.0.1:8443`). Default none. */
  localOrigins?: readonly string[];
  /** For the default `resolveHost`: the name resolver. Default the system resolver. */
  dnsResolver?: Resolver;
  /** Terminates the client's TLS (ClientHello bytes already read in `prefix`) for `host`. */
  terminate: (client: Deno.Conn, prefix: Uint8Array, host: string) => Promise<ByteStream>;
  /** Opens TLS to the upstream at the pinned `ip`, verifying `host`. */
  connectUpstream: (host: string, port: number, ip: string) => Promise<ByteStream>;
  /** Opens a plain connection (plaintext ports). Default `Deno.connect` to `ip:port`. */
  connectPlain?: (host: string, port: number, ip: string) => Promise<ByteStream>;
  /** Receives one record per secret used or refused per request. */
  onCredential: (use: CredentialUse) => void;
  /** Receives one record per secret redacted from a response. */
  onEcho: (echo: SecretEcho) => void;
  /** Called on a violation under `block-and-terminate` (kill the sandbox). */
  onTerminate?: () => void;
  /** One-line warnings (never a value). Default dropped. */
  log?: (line: Record<string, unknown>) => void;
  /** Closes a tunnel after this long without a byte. Default 30000 ms. */
  timeoutMs?: number;
  /** Time the client has for its ClientHello. Default 10000 ms. */
  handshakeTimeoutMs?: number;
  /** Concurrent intercepted connections; more get 503. Default 256. */
  maxTunnels?: number;
  /** Login/token endpoints denied unless bound explicitly. Default {@link AUTH_ENDPOINTS}. */
  authEndpoints?: readonly AuthEndpoint[];
  /** Request-head cap. Default 65536 bytes (431 above). */
  maxHeaderBytes?: number;
  /** Request-body cap (bodies are read whole before anything goes upstream). Default 16 MiB. */
  maxBodyBytes?: number;
}

/**
 * Creates the interceptor (see the module doc). Throws `TypeError`/`SyntaxError` on a malformed
 * binding.
 */
export function createCredentialInterceptor(options: InterceptorOptions): EgressHandoff {
  const table = new BindingTable(options.bindings);
  const set = options.placeholders;
  const violation = options.violation ?? "block-and-log";
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const helloMs = options.handshakeTimeoutMs ?? 10_000;
  const maxTunnels = options.maxTunnels ?? 256;
  let tunnels = 0;
  const authTable = options.authEndpoints ?? AUTH_ENDPOINTS;
  const maxHead = options.maxHeaderBytes ?? 65536;
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const resolveHost = options.resolveHost ?? ((host: string, port: number) =>
    checkHost(host, {
      port,
      allowCidrs: options.allowCidrs ?? [],
      localOrigins: options.localOrigins ?? [],
      ...(options.dnsResolver ? { resolver: options.dnsResolver } : {}),
    }));
  const connectPlain = options.connectPlain ??
    ((_h: string, port: number, ip: string) => Deno.connect({ hostname: ip, port }));

  const secretsOf = (bs: readonly CompiledBinding[]) => [...new Set(bs.map((b) => b.secret))];

  const emit = (
    t: { host: string; port: number; eligible: CompiledBinding[] },
    secrets: readonly string[],
    fields: Omit<CredentialUse, "secret" | "mode" | "host" | "port">,
  ) => {
    for (const secret of secrets) {
      const mode = t.eligible.find((b) => b.secret === secret)?.mode ??
        table.all().find((b) => b.secret === secret)?.mode ?? "placeholder";
      options.onCredential({ secret, mode, host: t.host, port: t.port, ...fields });
    }
  };

  /** A path safe to log: a placeholder in it (any form) is never written out. */
  const safePath = (path: string): string =>
    findPlaceholders(path, set).length > 0 ? "[path with a placeholder]" : path;

  const ctx: RequestContext = {
    set,
    table,
    violation,
    log,
    authTable,
    maxHead,
    maxBody,
    resolver: options.resolver,
    connectUpstream: options.connectUpstream,
    connectPlain,
    onEcho: options.onEcho,
    onTerminate: options.onTerminate,
    emit,
    safePath,
  };

  const serve = async (client: Deno.Conn, req: HandoffRequest): Promise<HandoffResult> => {
    const eligible = table.eligible(req.host, req.port, req.kind);
    const base = { host: req.host, port: req.port, eligible };
    const names = secretsOf(eligible);
    const method = req.head.method;
    const path = req.kind === "http" ? safePath(targetPath(req.head.target)) : "";
    const refuseEarly = async (status: number, reason: string, outcome: CredentialOutcome) => {
      // Before the tunnel opens (or on a plain request): an HTTP refusal the client can read.
      const bytes = refusalBytes(status, reason);
      await writeFull(client, bytes).catch(() => {});
      emit(base, names, { method, path, status, outcome, bytes_up: 0, bytes_down: bytes.length });
      return { up: 0, down: bytes.length, reason, allowed: false };
    };
    if (eligible.length === 0) return await refuseEarly(403, "no_binding", "no_binding");
    if (tunnels >= maxTunnels) return await refuseEarly(503, "too_many_tunnels", "upstream_error");
    tunnels++;
    try {
      return await serveTunnel(client, { req, eligible, base, names, refuseEarly });
    } finally {
      tunnels--;
    }
  };

  const serveTunnel = async (client: Deno.Conn, at: {
    req: HandoffRequest;
    eligible: CompiledBinding[];
    base: { host: string; port: number; eligible: CompiledBinding[] };
    names: string[];
    refuseEarly: (s: number, r: string, o: CredentialOutcome) => Promise<HandoffResult>;
  }): Promise<HandoffResult> => {
    const { req, eligible, base, names, refuseEarly } = at;
    let ip: string;
    try {
      const pinned = await resolveHost(req.host, req.port);
      const first = pinned.find((a) => !a.includes(":")) ?? pinned[0];
      if (first === undefined) throw new SecurityBlock("no address", { kind: "ssrf" });
      ip = first;
    } catch (e) {
      const blocked = e instanceof SecurityBlock;
      return await refuseEarly(
        blocked ? 403 : 502,
        blocked ? "blocked_resolution" : "dns_failed",
        "upstream_error",
      );
    }
    const t: Tunnel = {
      kind: req.kind,
      host: req.host,
      port: req.port,
      ip,
      eligible,
      client,
      upstream: null,
      touch: () => {},
      up: 0,
      down: 0,
    };
    // Small writes (a head, then its body) must not wait on the peer's delayed ACK.
    try {
      if ("setNoDelay" in client) (client as Deno.TcpConn).setNoDelay(true);
    } catch { /* closed, or not a TCP socket */ }
    let tls: ByteStream | null = null;
    const idle = new Idle(timeoutMs, () => {
      closeQuietly(tls);
      closeQuietly(t.upstream?.stream);
      closeQuietly(client);
    });
    t.touch = idle.touch;
    const result = (reason: string, allowed = true, detail?: string): HandoffResult => ({
      up: t.up,
      down: t.down,
      reason,
      allowed,
      ...(detail ? { detail } : {}),
    });
    try {
      if (req.kind === "http") {
        const reader = new Http1Reader(client, req.rest, idle.touch);
        const head: Http1Head = {
          line: [req.head.method, req.head.target, req.head.version],
          headers: req.head.headers,
        };
        await handleInterceptedRequest(ctx, t, head, reader);
        return result(t.refused ?? "credential_intercept", t.refused === undefined);
      }
      await writeFull(client, latin1Bytes("HTTP/1.1 200 Connection Established\r\n\r\n"));
      const hello = await readClientHelloStart(client, req.rest, helloMs);
      if (!hello.ok) return result(hello.reason, false, hello.detail);
      const literal = canonicalAddress(req.host) !== null;
      const sni = hello.sni === null ? null : normalizeHost(hello.sni);
      if (sni !== req.host && !(sni === null && literal)) {
        emit(base, names, {
          method: "CONNECT",
          path: "",
          status: 0,
          outcome: "blocked_host_mismatch",
        });
        return result(
          "sni_mismatch",
          false,
          "the ClientHello names another server than the CONNECT line",
        );
      }
      // The handshake has the same deadline as the ClientHello; a stalled one ends the tunnel.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const terminating = options.terminate(client, hello.bytes, req.host);
      const done = await Promise.race([
        terminating,
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), helloMs))),
      ]).finally(() => clearTimeout(timer));
      if (done === null) {
        terminating.then(closeQuietly, () => {});
        return result("tls_handshake_timeout", false);
      }
      tls = done;
      idle.touch();
      if (tls.sni !== undefined && tls.sni !== null && normalizeHost(tls.sni) !== req.host) {
        emit(base, names, {
          method: "CONNECT",
          path: "",
          status: 0,
          outcome: "blocked_host_mismatch",
        });
        return result("sni_mismatch", false, "the TLS session names another server");
      }
      if (tls.alpn !== undefined && tls.alpn !== null && tls.alpn !== "http/1.1") {
        return result("alpn_refused", false, `ALPN "${tls.alpn}" (only http/1.1 is intercepted)`);
      }
      t.client = tls;
      const reader = new Http1Reader(tls, new Uint8Array(), idle.touch);
      for (;;) {
        let head: Http1Head | null;
        try {
          head = await reader.head(maxHead);
        } catch (e) {
          if (e instanceof HttpError) {
            const bytes = refusalBytes(e.status, "malformed_request");
            await writeFull(tls, bytes).catch(() => {});
            t.down += bytes.length;
          }
          break;
        }
        if (head === null) break;
        if (!(await handleInterceptedRequest(ctx, t, head, reader))) break;
      }
      return result(t.refused ?? "credential_intercept", t.refused === undefined);
    } catch (e) {
      return result("credential_intercept_error", true, String((e as Error)?.name ?? "error"));
    } finally {
      idle.stop();
      closeQuietly(t.upstream?.stream);
      closeQuietly(tls);
    }
  };

  return {
    claims: (host, port, kind) => table.eligible(host, port, kind).length > 0,
    serve,
  };
}
