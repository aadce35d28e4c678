/**
 * The egress proxy: an HTTP/1.1 forward proxy (CONNECT tunnels and absolute-form `http://`
 * requests) that lets a sandbox reach only allowlisted hosts.
 *
 * Per connection it reads the request head (at most `maxHeaderBytes`, else 431), normalises the
 * target host (case, trailing dot, IDNA, IP literals in any encoding), refuses blocked
 * addresses before anything else, checks the allowlist (core's `HostAllowlist`: `*.domain`
 * covers its apex, an entry without a port covers 80 and 443; a bare IP must itself be listed),
 * resolves the name ONCE through `core/net_guard.ts` `checkHost` (refusing if any answer is
 * non-global, unless inside an operator-named `allowCidrs` range; loopback and metadata never
 * pass), dials the pinned address, and relays bytes. A CONNECT tunnel must open with a TLS
 * ClientHello naming the CONNECT host (reassembled across records and reads, bounded in bytes
 * and time) before any client byte goes upstream. An absolute-form `http://` request is
 * forwarded alone: hop-by-hop and proxy headers stripped, its body framing decided once
 * (ambiguous framing is a 400), and nothing the client sends after that body is read, so every
 * request is checked on its own connection. With a `clearance` desk, a host the allowlist does
 * not cover is held (after the checks that need no DNS) for an operator's verdict instead of
 * refused; an allow then takes the allowlisted path, every check included (docs/clearance.md).
 * Every decision is one JSON line through
 * `log`: `{"event":"proxy.decision","host","ip","port","method","allowed","reason",
 * "bytes_up","bytes_down"}`.
 *
 * @example
 * ```ts ignore
 * import { startEgressProxy } from "./egress_proxy.ts";
 * await using proxy = await startEgressProxy({
 *   allowlist: ["api.example.com"],
 *   log: (line) => console.log(JSON.stringify(line)),
 * });
 * console.log(`HTTPS_PROXY=http://${proxy.host}:${proxy.port}`);
 * ```
 * @module
 */
import { checkHost, type Resolver, systemResolver } from "../../core/net_guard.ts";
import { withLocalOrigins } from "../../core/local_origin.ts";
import { canonicalAddress, normalizeHost } from "../../core/host_normalize.ts";
import { isInternalName } from "../../core/address_policy.ts";
import { HostAllowlist, type HostMatch } from "../../core/host_allowlist.ts";
import { SecurityBlock, ZuError } from "../../core/errors.ts";
import type { EgressProxyHandle } from "../../core/types.ts";
import type { EgressHandoff, HandoffHead } from "./handoff.ts";
import { holdForClearance } from "./_clearance_hold.ts";
import { dialUpstream } from "./_dial_upstream.ts";
import type { ClearanceGate } from "./clearance/clearance_answer.ts";
import { latin1Bytes, originFormHead, readHead, statusResponse } from "./_http_head.ts";
import {
  type BodyFraming,
  bodyFraming,
  forwardBody,
  FramingError,
  framingHeader,
} from "./_http_body.ts";
import { IdleTimer, relay, safeClose, writeAll } from "./_relay.ts";
import {
  type Decision,
  newDecision,
  parseTarget,
  readTunnelStart,
  Refusal,
  SNI_DEADLINE_MS,
  STATUS_TEXT,
  type Target,
} from "./_proxy_request.ts";

/** Opens the upstream TCP connection to a pinned address (test seam). */
export type Dialer = (target: { hostname: string; port: number }) => Promise<Deno.Conn>;

/** One JSON line the proxy emits. */
export type ProxyLogLine = Record<string, unknown>;

/** The proxy's clearance option: the desk (host side) and the run the proxy serves. */
export interface ProxyClearance {
  /** The desk that holds requests (a `ClearanceDesk`, or a client of one in another process). */
  desk: ClearanceGate;
  /** The run this proxy's traffic belongs to. */
  runId: string;
}

/** Options of {@link startEgressProxy}. */
export interface EgressProxyOptions {
  /** Hosts that may be reached (`host`, `host:port`, `*.domain`, IP literals). Required. */
  allowlist: readonly string[];
  /** Listen address. Default `127.0.0.1`. */
  hostname?: string;
  /** Listen port. Default `0` (any free port). */
  port?: number;
  /**
   * Non-global ranges an operator lets through (internal services, test networks). Loopback,
   * metadata and unspecified addresses never pass. Default none.
   */
  allowCidrs?: readonly string[];
  /**
   * Local test origins (`127.0.0.1:8080`, see core/local_origin.ts): each joins the allowlist
   * and its loopback address passes on that port only. Default none.
   */
  localOrigins?: readonly string[];
  /** Resolves names once per request. Default net_guard's `systemResolver`. */
  resolver?: Resolver;
  /** Opens upstream connections. Default `Deno.connect` to the pinned address. */
  dialer?: Dialer;
  /**
   * Dial hosts matched only by a `*.domain` wildcard by NAME and accept the connection only
   * when the address actually reached passes the same checks. Used under Deno's
   * `--allow-net=*.domain`, which cannot name the addresses in advance. Default false (dial
   * the pinned address).
   */
  wildcardDialByName?: boolean;
  /**
   * Read the TLS ClientHello at the start of every CONNECT tunnel (reassembled across records
   * and reads, at most `MAX_TUNNEL_START_BYTES` bytes and `sniTimeoutMs`) before any client
   * byte goes upstream, and refuse the tunnel when it is not one, names no server (a CONNECT to
   * an IP literal may name none), or names another host than the CONNECT line (domain
   * fronting). Default true; false only for tests that speak plain text inside a tunnel.
   */
  checkSni?: boolean;
  /** How long a tunnel's client has to send its whole ClientHello. Default 5000 ms. */
  sniTimeoutMs?: number;
  /** Receives `proxy.ready` and one `proxy.decision` line per connection. Default: dropped. */
  log?: (line: ProxyLogLine) => void;
  /** Request-head cap in bytes; larger heads get 431. Default 16384. */
  maxHeaderBytes?: number;
  /** Closes a connection after this long without a byte moving. Default 30000 ms. */
  idleTimeoutMs?: number;
  /** Gives up dialing upstream after this long (504). Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Concurrent client connections; more get 503. Default 256. */
  maxConnections?: number;
  /** Decision lines kept for `connections()`. Default 1000 (oldest dropped). */
  keepDecisions?: number;
  /**
   * TEST ONLY: skip the allowlist and address checks entirely, so a test can show that the
   * Deno permission boundary still refuses what the proxy would have let through.
   */
  unsafeTestAllowAll?: boolean;
  /**
   * Requests whose target this handler claims are handed to it right after the head is read,
   * before the allowlist, the address checks and the dial: the handler owns every check then.
   */
  handoff?: EgressHandoff;
  /**
   * Screens each absolute-form (plain-HTTP) request the allowlist let through, before the dial:
   * a refusal (e.g. a secret's placeholder headed to a host it is not bound to) ends it with
   * that status and reason. CONNECT tunnels are opaque and never screened here.
   */
  screen?: (request: { host: string; port: number; head: HandoffHead }) => {
    status: number;
    reason: string;
    detail?: string;
  } | null;
  /**
   * Live clearance: a request to a host the allowlist does not cover (after the address checks
   * that need no DNS) is held on `desk` for an operator's verdict instead of refused; an allow
   * proceeds exactly like an allowlisted host (resolution, address checks, dial, SNI check).
   * Default none: refused at once (`not_allowlisted`). See docs/clearance.md.
   */
  clearance?: ProxyClearance;
  /** Stops the proxy when aborted. */
  signal?: AbortSignal;
}

/** A running proxy. */
export interface RunningEgressProxy extends EgressProxyHandle {
  /** `http://host:port`. */
  readonly url: string;
}

/**
 * Starts an egress proxy listening on `hostname:port` and resolves once it is bound (after
 * logging `{"event":"proxy.ready","host","port"}`).
 *
 * @example
 * ```ts ignore
 * import { startEgressProxy } from "./egress_proxy.ts";
 * const proxy = await startEgressProxy({ allowlist: ["api.example.com"] });
 * await proxy.close();
 * ```
 */
export function startEgressProxy(options: EgressProxyOptions): Promise<RunningEgressProxy> {
  try {
    return Promise.resolve(start(options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function start(options: EgressProxyOptions): RunningEgressProxy {
  const allow = new HostAllowlist(withLocalOrigins(options.allowlist, options.localOrigins)!);
  const allowCidrs = [...(options.allowCidrs ?? [])];
  const log = options.log ?? (() => {});
  const maxHeaderBytes = options.maxHeaderBytes ?? 16384;
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const connectMs = options.connectTimeoutMs ?? 10_000;
  const maxConnections = options.maxConnections ?? 256;
  const keep = options.keepDecisions ?? 1000;
  const unsafe = options.unsafeTestAllowAll === true;
  const checkSni = options.checkSni ?? true;
  const sniMs = options.sniTimeoutMs ?? SNI_DEADLINE_MS;
  const dialer: Dialer = options.dialer ??
    ((t) => Deno.connect({ hostname: t.hostname, port: t.port, transport: "tcp" }));
  const localOrigins = options.localOrigins ?? [];
  const guard = (host: string, port: number) =>
    checkHost(host, {
      allowCidrs,
      localOrigins,
      port,
      ...(options.resolver ? { resolver: options.resolver } : {}),
    });

  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    transport: "tcp",
  });
  const addr = listener.addr as Deno.NetAddr;
  const decisions: Decision[] = [];
  const active = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const closing = new AbortController();
  let closed = false;

  const record = (d: Decision): void => {
    decisions.push(d);
    if (decisions.length > keep) decisions.shift();
    log({ event: "proxy.decision", ...d });
  };

  /** Address checks + allowlist; returns the pinned addresses and how the host matched. */
  const decide = async (
    target: Target,
    d: Decision,
    scheme: "https" | "http",
  ): Promise<{ host: string; pinned: string[]; match: HostMatch | "unsafe" | "cleared" }> => {
    const host = normalizeHost(target.host);
    if (host === null) throw new Refusal(400, "bad_host", `host "${target.host}"`);
    d.host = host;
    if (host !== target.host.toLowerCase()) d.requested = target.host;
    const literal = canonicalAddress(host) !== null;
    if (unsafe) {
      const pinned = literal ? [host] : await (options.resolver ?? systemResolver)(host);
      return { host, pinned, match: "unsafe" };
    }
    if (literal) {
      // Refuse blocked addresses before anything else, in whatever encoding they came.
      try {
        await guard(host, target.port);
      } catch (e) {
        if (e instanceof SecurityBlock) throw new Refusal(403, "blocked_address", e.message);
        throw e;
      }
    }
    let match: HostMatch | "cleared" | null = allow.match(host, target.port);
    if (match === null && options.clearance !== undefined) {
      // Held with no DNS and no dial; the allow then goes through the full checks below.
      if (!literal && isInternalName(host)) {
        throw new Refusal(403, "blocked_address", `the name "${host}" is internal`);
      }
      const id = await holdForClearance(
        options.clearance,
        { host, port: target.port, scheme, literal },
        closing.signal,
      );
      if (id !== null) d.clearance = id;
      match = "cleared";
    }
    if (match === null) {
      throw new Refusal(403, literal ? "ip_literal_not_allowlisted" : "not_allowlisted");
    }
    try {
      return { host, pinned: await guard(host, target.port), match };
    } catch (e) {
      if (e instanceof SecurityBlock) throw new Refusal(403, "blocked_resolution", e.message);
      if (e instanceof ZuError && e.code === "dns_failed") {
        throw new Refusal(502, "dns_failed", e.message);
      }
      throw e;
    }
  };

  const handle = async (client: Deno.Conn): Promise<void> => {
    const d = newDecision();
    let upstream: Deno.Conn | undefined;
    const headTimer = new IdleTimer(idleMs, () => safeClose(client));
    try {
      const read = await readHead(client, maxHeaderBytes);
      headTimer.stop();
      if (!read.ok) {
        if (read.failure === "closed" && !headTimer.fired) return;
        if (read.failure === "too_large") throw new Refusal(431, "header_too_large");
        throw new Refusal(400, headTimer.fired ? "header_timeout" : "malformed_request");
      }
      const { head, rest } = read;
      d.method = head.method;
      const target = parseTarget(head);
      d.host = target.host;
      d.port = target.port;
      const kind = head.method === "CONNECT" ? "connect" : "http";
      const claimedHost = options.handoff ? normalizeHost(target.host) : null;
      if (claimedHost !== null && options.handoff!.claims(claimedHost, target.port, kind)) {
        d.host = claimedHost;
        d.allowed = true;
        d.reason = "handed_off";
        const r = await options.handoff!.serve(client, {
          kind,
          host: claimedHost,
          port: target.port,
          head,
          rest,
        });
        d.bytes_up = r.up;
        d.bytes_down = r.down;
        if (r.reason) d.reason = r.reason;
        if (r.allowed === false) d.allowed = false;
        if (r.detail) d.detail = r.detail;
        return;
      }
      let framing: BodyFraming = { kind: "none" };
      if (head.method !== "CONNECT") {
        try {
          framing = bodyFraming(head);
        } catch (e) {
          if (e instanceof FramingError) throw new Refusal(400, "bad_framing", e.message);
          throw e;
        }
      }
      const decided = await decide(target, d, kind === "connect" ? "https" : "http");
      if (head.method !== "CONNECT" && options.screen) {
        const refused = options.screen({ host: decided.host, port: target.port, head });
        if (refused) throw new Refusal(refused.status, refused.reason, refused.detail);
      }
      d.host = decided.host;
      const byName = decided.match === "wildcard" && options.wildcardDialByName === true;
      const dialed = await dialUpstream({ dialer, connectMs, allowCidrs }, {
        host: decided.host,
        pinned: decided.pinned,
        port: target.port,
        byName,
      });
      upstream = dialed.conn;
      d.ip = dialed.ip;
      d.allowed = true;
      d.reason = decided.match === "unsafe"
        ? "unsafe_test_allow_all"
        : decided.match === "cleared"
        ? "cleared"
        : decided.match === "wildcard"
        ? "allowlisted_wildcard"
        : "allowlisted";
      const counters = { up: 0, down: 0 };
      const toUpstream = async (bytes: Uint8Array) => {
        await writeAll(upstream!, bytes);
        counters.up += bytes.length;
      };
      if (head.method !== "CONNECT") {
        // One request per connection: this head and its body, nothing the client sends after.
        const defaultPort = target.port === 80;
        const hostText = decided.host.includes(":") ? `[${decided.host}]` : decided.host;
        const hostHeader = defaultPort ? hostText : `${hostText}:${target.port}`;
        const upHead = latin1Bytes(
          originFormHead(head, hostHeader, target.path ?? "/", framingHeader(framing)),
        );
        const up = async (idle: IdleTimer) => {
          await toUpstream(upHead);
          try {
            const dropped = await forwardBody(
              client,
              rest,
              framing,
              toUpstream,
              () => idle.touch(),
            );
            if (dropped > 0) {
              d.detail = `dropped "${dropped}" bytes sent after the request (one per connection)`;
            }
          } catch (e) {
            if (e instanceof FramingError) d.detail = `malformed body: ${e.message}`;
            throw e;
          }
        };
        await relay(client, upstream, idleMs, counters, { up });
      } else {
        await writeAll(
          client,
          new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"),
        );
        const refuseTunnel = (reason: string, detail: string): null => {
          d.allowed = false;
          d.reason = reason;
          d.detail = detail;
          return null;
        };
        const firstUp = async () => {
          const start = await readTunnelStart(client, rest, sniMs);
          if (!start.ok && start.reason === "closed_empty") {
            d.detail = "the client closed the tunnel before sending a byte";
            return null;
          }
          if (!start.ok) return refuseTunnel(start.reason, start.detail);
          if (start.sni === null) {
            if (canonicalAddress(decided.host) !== null) return start.bytes;
            return refuseTunnel(
              "sni_missing",
              `the ClientHello names no server but CONNECT named "${decided.host}"`,
            );
          }
          if (normalizeHost(start.sni) !== decided.host) {
            return refuseTunnel(
              "sni_mismatch",
              `TLS names "${start.sni}" but CONNECT named "${decided.host}"`,
            );
          }
          return start.bytes;
        };
        if (checkSni && decided.match !== "unsafe") {
          // Domain fronting: a ClientHello must name the CONNECT host before any byte goes up.
          await relay(client, upstream, idleMs, counters, { firstUp });
        } else {
          if (rest.length > 0) await toUpstream(rest);
          await relay(client, upstream, idleMs, counters);
        }
      }
      d.bytes_up = counters.up;
      d.bytes_down = counters.down;
    } catch (e) {
      const refusal = e instanceof Refusal
        ? e
        : new Refusal(502, "proxy_error", String((e as Error)?.message ?? e));
      if (!d.allowed) {
        d.reason = refusal.reason;
        if (refusal.detail !== undefined) d.detail = refusal.detail;
        try {
          await writeAll(
            client,
            // The decision's reason travels with the refusal, so a client (a model provider)
            // can say the proxy refused it, not the server.
            statusResponse(
              refusal.status,
              STATUS_TEXT[refusal.status] ?? "Error",
              { "X-Zu-Egress-Refused": refusal.reason, ...refusal.answer?.headers },
              refusal.answer?.body,
            ),
          );
        } catch {
          // the client went away
        }
      } else if (d.reason === "") d.reason = refusal.reason;
    } finally {
      headTimer.stop();
      safeClose(upstream);
      safeClose(client);
      if (d.method !== "" || d.reason !== "") record(d);
    }
  };

  const acceptLoop = (async () => {
    for await (const conn of listener) {
      if (active.size >= maxConnections) {
        record(newDecision("too_many_connections"));
        writeAll(conn, statusResponse(503, STATUS_TEXT[503]!)).catch(() => {}).finally(() =>
          safeClose(conn)
        );
        continue;
      }
      active.add(conn);
      const p = handle(conn).finally(() => {
        active.delete(conn);
        handlers.delete(p);
      });
      handlers.add(p);
    }
  })().catch(() => {});

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    closing.abort();
    safeClose(listener);
    for (const c of active) safeClose(c);
    await acceptLoop;
    await Promise.allSettled([...handlers]);
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  log({ event: "proxy.ready", host: addr.hostname, port: addr.port });
  const host = addr.hostname;
  return {
    host,
    port: addr.port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`,
    connections: () => decisions.map((d) => ({ ...d })),
    close,
    [Symbol.asyncDispose]: close,
  };
}
