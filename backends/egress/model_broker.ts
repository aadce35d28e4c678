/**
 * The model broker: a host-side HTTP endpoint through which a sandboxed agent's model provider
 * talks to its API without ever holding the key. The agent calls `<broker>/r/<route>/<path>` with
 * a per-run phantom token as its key; the broker checks the phantom in constant time, drops the
 * client's credential and hop-by-hop headers, adds the real key (resolved per request, so a
 * rotation applies to the next request) and forwards to the one upstream bound to that route.
 * A redirect to the same origin is followed with the key, to another origin without it. Bodies
 * stream both ways (SSE works); the response is scanned for the real value, which is redacted.
 *
 * @example
 * ```ts
 * import { startModelBroker } from "./model_broker.ts";
 * await using up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   Response.json({ auth: req.headers.get("authorization") === "Bearer sk-real" }));
 * await using broker = await startModelBroker({
 *   routes: [{ id: "openai", upstream: `http://127.0.0.1:${up.addr.port}/v1`, secret: "OPENAI_API_KEY", authHeader: "authorization" }],
 *   resolver: { resolve: () => Promise.resolve("sk-real") },
 *   localOrigins: [`127.0.0.1:${up.addr.port}`],
 * });
 * const r = await fetch(`${broker.routeUrl("openai")}/chat/completions`, {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${broker.phantom}` },
 *   body: "{}",
 * });
 * console.assert((await r.json()).auth === true);
 * ```
 * @module
 */
import { isCanonicalLiteral } from "../../core/host_normalize.ts";
import { checkHost, type Resolver } from "../../core/net_guard.ts";
import type { CredentialUse, SecretEcho, SecretResolver } from "../../core/types.ts";
import { mintPhantom, phantomMatches, presentedToken, tokenHash } from "./phantom.ts";
import { clientHeaders, redactingStream, redactText, upstreamHeaders } from "./_broker_redact.ts";

/** One provider route: `/r/<id>/…` goes to `upstream` with the value of `secret`. */
export interface BrokerRoute {
  /** Route id, `[a-z0-9-]{1,32}`. */
  id: string;
  /** Base URL of the upstream API (`https://api.openai.com/v1`). */
  upstream: string;
  /**
   * The secret's name for the resolver, or null for a keyless route (a local model that needs
   * no key, or a key the client holds itself): no credential is added, no phantom is required,
   * and the client's own `authorization` / `x-api-key` go to the upstream's origin only.
   */
  secret: string | null;
  /** How the key is sent: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
  authHeader: "authorization" | "x-api-key";
}

/** Options of {@link startModelBroker}. */
export interface ModelBrokerOptions {
  /** The routes (ids unique). */
  routes: readonly BrokerRoute[];
  /** Resolves a route's secret per request. */
  resolver: SecretResolver;
  /** The phantom the client must present. Default: minted, `zu-phantom-` + 32 hex (128 bits). */
  phantom?: string;
  /** TCP listener. Default `127.0.0.1:0` (a free port). */
  listen?: { hostname?: string; port?: number };
  /** Also listen on this unix socket. Default none. */
  unixPath?: string;
  /** Extra root certificates (PEM) trusted for the upstream (tests). Default none. */
  caCerts?: string[];
  /** Resolves upstream names for the address check. Default the system resolver. */
  resolveHost?: Resolver;
  /** CIDRs an upstream may resolve into although not global. Default none. */
  allowCidrs?: readonly string[];
  /** Loopback `ip:port` origins an upstream may be (a local model). Default none. */
  localOrigins?: readonly string[];
  /** Receives one record per request (never the value; the phantom only as a hash prefix). */
  onCredential?: (use: CredentialUse) => void;
  /** Receives a report when an upstream echoed the real value (it was redacted). */
  onEcho?: (echo: SecretEcho) => void;
  /** Redirects followed at most. Default 5. */
  maxRedirects?: number;
  /** Timeout of the whole exchange in ms, the streamed response included. Default 600000. */
  timeoutMs?: number;
}

/** A running broker. */
export interface RunningModelBroker extends AsyncDisposable {
  /** `http://<hostname>:<port>`. */
  url: string;
  /** The TCP listener's host. */
  hostname: string;
  /** The TCP listener's port. */
  port: number;
  /** The unix socket, when listening on one. */
  unixPath: string | null;
  /** The phantom token of this run. */
  phantom: string;
  /** The base URL a provider uses for route `id` (`<origin>/r/<id>`); origin defaults to {@link url}. */
  routeUrl(id: string, origin?: string): string;
  /** The request handler (for a caller that serves it itself). */
  handler: (req: Request) => Promise<Response>;
  /** Stops listening. */
  close(): Promise<void>;
}

const ROUTE_ID = /^[a-z0-9-]{1,32}$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** A request body up to this size is buffered (so a 307/308 can resend it); larger ones stream. */
const BUFFER_BODY = 8 << 20;

function errorResponse(status: number, message: string): Response {
  return Response.json({ error: { message, type: "zu_model_broker" } }, {
    status,
    headers: { "x-zu-broker": "refused" },
  });
}

function defaultPort(u: URL): number {
  return Number(u.port || (u.protocol === "https:" ? 443 : 80));
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.hostname === b.hostname &&
    defaultPort(a) === defaultPort(b);
}

interface Prepared {
  route: BrokerRoute;
  base: URL;
  target: URL;
}

/** Starts a model broker (see the module doc); rejects with a `TypeError` on a bad route. */
export function startModelBroker(options: ModelBrokerOptions): Promise<RunningModelBroker> {
  return Promise.resolve().then(() => createBroker(options));
}

function createBroker(options: ModelBrokerOptions): RunningModelBroker {
  const routes = new Map<string, { route: BrokerRoute; base: URL }>();
  for (const route of options.routes) {
    if (!ROUTE_ID.test(route.id)) {
      throw new TypeError(
        `Cannot start the model broker: route id "${route.id}" must match [a-z0-9-]{1,32}`,
      );
    }
    if (routes.has(route.id)) {
      throw new TypeError(`Cannot start the model broker: route id "${route.id}" is listed twice`);
    }
    let base: URL;
    try {
      base = new URL(route.upstream);
    } catch {
      throw new TypeError(
        `Cannot start the model broker: route "${route.id}" upstream is not a URL`,
      );
    }
    if (base.protocol !== "https:" && base.protocol !== "http:") {
      throw new TypeError(
        `Cannot start the model broker: route "${route.id}" upstream must be http(s)`,
      );
    }
    base.search = "";
    base.hash = "";
    base.pathname = base.pathname.replace(/\/+$/, "");
    routes.set(route.id, { route, base });
  }
  const phantom = options.phantom ?? mintPhantom();
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const client = options.caCerts?.length
    ? Deno.createHttpClient({ caCerts: options.caCerts })
    : undefined;
  const report = (use: CredentialUse) => {
    try {
      options.onCredential?.(use);
    } catch {
      // a listener's failure never breaks the exchange
    }
  };

  // A plain-HTTP upstream named by a host name is dialled at the address that passed the check
  // (a client per address whose transport connects there), so a rebinding answer is never used.
  // An HTTPS one is dialled by name (fetch resolves again; Deno offers no TLS name override).
  const pinned = new Map<string, Deno.HttpClient>();
  const clientFor = (u: URL, addresses: string[]): Deno.HttpClient | undefined => {
    const ip = addresses[0];
    if (
      u.protocol !== "http:" || ip === undefined ||
      isCanonicalLiteral(u.hostname.replace(/^\[|\]$/g, ""))
    ) {
      return client;
    }
    const k = `${ip}|${defaultPort(u)}`;
    let c = pinned.get(k);
    if (!c) {
      c = Deno.createHttpClient({
        proxy: { transport: "tcp", hostname: ip, port: defaultPort(u) },
      });
      pinned.set(k, c);
    }
    return c;
  };

  const guard = (u: URL) =>
    checkHost(u.hostname.replace(/^\[|\]$/g, ""), {
      port: defaultPort(u),
      ...(options.resolveHost ? { resolver: options.resolveHost } : {}),
      ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
      ...(options.localOrigins ? { localOrigins: options.localOrigins } : {}),
    });

  function prepare(url: URL): Prepared | null {
    const m = /^\/r\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const entry = m ? routes.get(m[1] as string) : undefined;
    if (!m || !entry) return null;
    const rest = m[2] ?? "";
    const target = new URL(entry.base.href);
    target.pathname = `${entry.base.pathname}${rest}`;
    target.search = url.search;
    // `..` was normalised away when the request URL was parsed: stay under the route's base.
    if (!sameOrigin(target, entry.base) || !target.pathname.startsWith(entry.base.pathname)) {
      return null;
    }
    return { route: entry.route, base: entry.base, target };
  }

  async function handler(req: Request): Promise<Response> {
    const started = performance.now();
    const url = new URL(req.url);
    const prepared = prepare(url);
    if (!prepared) return errorResponse(404, "no such model route");
    const { route, base, target } = prepared;
    const useOf = (status: number, outcome: CredentialUse["outcome"]): CredentialUse => ({
      secret: route.secret ?? "",
      mode: "route",
      host: base.hostname,
      port: defaultPort(base),
      method: req.method,
      path: target.pathname,
      status,
      outcome,
    });
    if (route.secret !== null) {
      const token = presentedToken(req.headers);
      const ok = token !== null && await phantomMatches(token, phantom);
      if (!ok) {
        report({
          ...useOf(401, "phantom_rejected"),
          ...(token ? { placeholder_sha256: await tokenHash(token) } : {}),
          duration_ms: Math.round(performance.now() - started),
        });
        return errorResponse(
          401,
          "the model broker refused the request: wrong or missing phantom token",
        );
      }
    }
    let key = "";
    if (route.secret !== null) {
      try {
        key = await options.resolver.resolve(route.secret);
      } catch (e) {
        report({
          ...useOf(502, "upstream_error"),
          duration_ms: Math.round(performance.now() - started),
        });
        const why = e instanceof Error ? e.message : String(e);
        return errorResponse(502, `the model broker has no key for route "${route.id}": ${why}`);
      }
    }
    const clean = (text: string) => (key ? redactText(text, key).text : text);
    let bytesUp = 0;
    let body: BodyInit | null = null;
    const length = Number(req.headers.get("content-length") ?? NaN);
    if (req.body && Number.isFinite(length) && length <= BUFFER_BODY) {
      const buf = new Uint8Array(await req.arrayBuffer());
      bytesUp = buf.length;
      body = buf;
    } else if (req.body) {
      body = req.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            bytesUp += chunk.length;
            c.enqueue(chunk);
          },
        }),
      );
    }
    const headers = upstreamHeaders(req);
    // Not `req.signal` (Deno.serve's legacy abort warns); a client that leaves cancels the
    // response stream, which cancels the upstream body.
    const signal = AbortSignal.timeout(timeoutMs);
    let method = req.method;
    let at = target;
    let res: Response;
    try {
      for (let hop = 0;; hop++) {
        const via = clientFor(at, await guard(at));
        const h = new Headers(headers);
        if (key && sameOrigin(at, base)) {
          if (route.authHeader === "x-api-key") h.set("x-api-key", key);
          else h.set("authorization", `Bearer ${key}`);
        } else if (route.secret === null && sameOrigin(at, base)) {
          // A keyless route is a plain relay: the client's own credential, to its origin only.
          for (const k of ["authorization", "x-api-key"]) {
            const v = req.headers.get(k);
            if (v !== null) h.set(k, v);
          }
        }
        res = await fetch(at, {
          method,
          headers: h,
          body: method === "GET" || method === "HEAD" ? null : body,
          redirect: "manual",
          signal,
          ...(via ? { client: via } : {}),
        });
        const location = res.headers.get("location");
        if (!REDIRECTS.has(res.status) || location === null) break;
        if (hop >= maxRedirects) break;
        const next = new URL(location, at);
        if (next.protocol !== "https:" && next.protocol !== "http:") break;
        if (
          res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")
        ) {
          method = method === "HEAD" ? "HEAD" : "GET";
          body = null;
          h.delete("content-type");
          headers.delete("content-type");
        } else if (body instanceof ReadableStream) {
          break; // a streamed body cannot be sent twice: the client gets the redirect
        }
        await res.body?.cancel();
        at = next;
      }
    } catch (e) {
      const status = signal.aborted ? 504 : 502;
      report({
        ...useOf(status, "upstream_error"),
        bytes_up: bytesUp,
        duration_ms: Math.round(performance.now() - started),
      });
      const why = e instanceof Error ? e.message : String(e);
      return errorResponse(status, clean(`the model broker could not reach the upstream: ${why}`));
    }
    const echo = (where: "header" | "body") => {
      try {
        options.onEcho?.({
          secret: route.secret ?? "",
          host: at.hostname,
          where,
          method,
          path: at.pathname,
        });
      } catch {
        // ignored, as for onCredential
      }
    };
    const { headers: out, echoed: headerEcho } = clientHeaders(res!.headers, key);
    if (headerEcho) echo("header");
    const status = res!.status;
    let bytesDown = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      report({
        ...useOf(status, "routed"),
        bytes_up: bytesUp,
        bytes_down: bytesDown,
        duration_ms: Math.round(performance.now() - started),
      });
    };
    if (!res!.body || method === "HEAD" || status === 204 || status === 304) {
      await res!.body?.cancel();
      finish();
      return new Response(null, { status, statusText: res!.statusText, headers: out });
    }
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        bytesDown += chunk.length;
        c.enqueue(chunk);
      },
      flush: finish,
      cancel: finish,
    });
    const stream =
      (key ? res!.body.pipeThrough(redactingStream(key, () => echo("body"))) : res!.body)
        .pipeThrough(counted);
    return new Response(stream, { status, statusText: res!.statusText, headers: out });
  }

  const onError = (e: unknown) =>
    errorResponse(500, `the model broker failed: ${e instanceof Error ? e.name : "error"}`);
  const tcp = Deno.serve({
    hostname: options.listen?.hostname ?? "127.0.0.1",
    port: options.listen?.port ?? 0,
    onListen() {},
    onError,
  }, handler);
  const unix = options.unixPath
    ? Deno.serve({ path: options.unixPath, onListen() {}, onError }, handler)
    : null;
  const hostname = tcp.addr.hostname;
  const port = tcp.addr.port;
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await Promise.allSettled([tcp.shutdown(), unix?.shutdown()]);
      client?.close();
      for (const c of pinned.values()) c.close();
    })();
    return closed;
  };
  return {
    url,
    hostname,
    port,
    unixPath: options.unixPath ?? null,
    phantom,
    routeUrl: (id: string, origin: string = url) => `${origin.replace(/\/+$/, "")}/r/${id}`,
    handler,
    close,
    [Symbol.asyncDispose]: close,
  };
}
