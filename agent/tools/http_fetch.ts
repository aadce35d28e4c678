/**
 * `http_fetch`: the tier-1 web tool. Fetches one http(s) URL with an SSRF guard that refuses
 * internal addresses in every encoding before and after resolution, resolves each host once and
 * connects to the checked address (SNI and Host stay the name), follows at most 5 redirects by
 * hand re-checking every hop, caps the decompressed body at 5,000,000 bytes and times out.
 *
 * @example
 * ```ts
 * import { HttpFetch } from "./http_fetch.ts";
 * // A transport replaces the network entirely (offline replay): no DNS, no socket.
 * const tool = new HttpFetch({
 *   transport: (req) => Promise.resolve({ status: 200, body: `<p>${req.url}</p>` }),
 * });
 * const obs = await tool.call({} as never, { url: "https://shop.test/" });
 * console.assert(obs.status === 200 && obs.html === "<p>https://shop.test/</p>");
 * ```
 * @module
 */
import { CAP_NET } from "../../core/contracts.ts";
import { RunFailure, SecurityBlock, UserError } from "../../core/errors.ts";
import { checkHost, type GuardOptions, type Resolver } from "../../core/net_guard.ts";
import { parseLocalOrigins, withLocalOrigins } from "../../core/local_origin.ts";
import { HostAllowlist, urlPort } from "../../core/host_allowlist.ts";
import { parseIpLiteral } from "../../core/host_normalize.ts";
import type { RunContext, Tool } from "../../core/types.ts";
import {
  decoderFor,
  type Dialer,
  pinnedRequest,
  type PinnedResponse,
  readCapped,
} from "./_pinned_request.ts";
import { safeEnv as systemEnv } from "../../core/env.ts";

export type { Dialer, DialTarget } from "./_pinned_request.ts";

/** A request handed to a replacement transport. */
export interface TransportRequest {
  /** The URL to fetch. */
  url: string;
  /** Always `"GET"` today. */
  method: string;
}

/** A response from a replacement transport. */
export interface TransportResponse {
  /** HTTP status. */
  status: number;
  /** The body text. */
  body: string;
}

/** Replaces the network entirely (offline replay, fixtures). */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Options of {@link HttpFetch}. */
export interface HttpFetchOptions {
  /**
   * Host patterns the tool may reach (core's grammar: `host`, `*.domain` with its apex,
   * `host:port`; no port means 80 and 443). Default: any host.
   */
  allowedDomains?: string[];
  /**
   * Let private and shared addresses through (never loopback or metadata). Default false, or
   * true when the environment has `ZU_HTTP_ALLOW_PRIVATE=1`.
   */
  allowPrivate?: boolean;
  /** CIDRs let through although not global (never loopback or metadata). Default none. */
  allowCidrs?: string[];
  /**
   * Local test origins (`127.0.0.1:8080`, agent.yaml `local_origins`): each joins
   * `allowedDomains` and its loopback address passes on that port only (core/local_origin.ts).
   * Default none.
   */
  localOrigins?: string[];
  /** Resolves host names once per hop. Default: the system resolver (`Deno.resolveDns`). */
  resolver?: Resolver;
  /** Whole-call timeout in milliseconds, redirects included. Default 20,000. */
  timeoutMs?: number;
  /** Decompressed body cap in bytes. Default 5,000,000. */
  maxBytes?: number;
  /** Redirects followed at most. Default 5. */
  maxRedirects?: number;
  /** Replaces the network entirely: no DNS, no socket. Scheme and allowlist checks still run. */
  transport?: Transport;
  /** Extra PEM root certificates trusted for https, on top of the system roots. Default none. */
  caCerts?: string[];
  /**
   * Test seam: maps the pinned address (after every check) to the socket address actually
   * dialled. Default: the pinned address itself. Lets a test run its origin on 127.0.0.1 while
   * the guard judges the public address its resolver answered; only code can set it.
   */
  dialer?: Dialer;
  /** Environment seam. Default `Deno.env.get` (absent without env permission). */
  env?: (name: string) => string | undefined;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_BYTES = 5_000_000;
const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

function truthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/**
 * The `http_fetch` tool: tier 1, capability `net`, egress `*`. Observation `{status, html, url}`
 * where `url` is the final URL after redirects. Refusals throw `SecurityBlock` (kinds `ssrf`,
 * `off_allowlist`, `fetch_blocked`, `oversized`), which the loop records as
 * `harness.defense.blocked`.
 *
 * With `ZU_SANDBOXED=1` in the environment it runs as zu does inside a sandbox: the allowlist
 * and literal-address checks, then a plain proxy-respecting `fetch`; any transport failure is a
 * `SecurityBlock` of kind `fetch_blocked`.
 *
 * @example
 * ```ts
 * import { HttpFetch } from "./http_fetch.ts";
 * const tool = new HttpFetch({ allowedDomains: ["*.example.com"] });
 * await tool.call({} as never, { url: "http://127.0.0.1/" }).catch((e) => console.assert(e.kind === "off_allowlist"));
 * ```
 */
export class HttpFetch implements Tool {
  /** Registry name. */
  readonly name = "http_fetch";
  /** Cheap HTTP tier. */
  tier = 1;
  /** Needs the network. */
  readonly capabilities: ReadonlySet<string> = new Set([CAP_NET]);
  /** May reach any host (the allowlist narrows it per instance). */
  readonly egress: ReadonlySet<string> = new Set(["*"]);
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "http_fetch",
    description: "Fetch a web page over HTTP(S) and return its status, HTML and final URL.",
    parameters: {
      type: "object",
      properties: { url: { type: "string", description: "The http:// or https:// URL to fetch." } },
      required: ["url"],
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "http_fetch(url): fetch a web page over HTTP(S); returns {status, html, url}.";

  #allowedDomains: HostAllowlist | null;
  #guard: GuardOptions;
  #timeoutMs: number;
  #maxBytes: number;
  #maxRedirects: number;
  #transport: Transport | null;
  #caCerts: string[];
  #dialer: Dialer | null;
  #sandboxed: boolean;

  /** Creates the tool; see {@link HttpFetchOptions} for defaults. */
  constructor(options: HttpFetchOptions = {}) {
    const env = options.env ?? systemEnv;
    const localOrigins = parseLocalOrigins(options.localOrigins ?? []);
    const allowed = withLocalOrigins(options.allowedDomains ?? null, localOrigins);
    this.#allowedDomains = allowed ? new HostAllowlist(allowed) : null;
    this.#guard = {
      allowPrivate: options.allowPrivate ?? truthy(env("ZU_HTTP_ALLOW_PRIVATE")),
      allowCidrs: [...(options.allowCidrs ?? [])],
      localOrigins,
    };
    if (options.resolver) this.#guard.resolver = options.resolver;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    this.#transport = options.transport ?? null;
    this.#caCerts = [...(options.caCerts ?? [])];
    this.#dialer = options.dialer ?? null;
    this.#sandboxed = truthy(env("ZU_SANDBOXED"));
    if (!(this.#timeoutMs > 0)) throw new RangeError(`Invalid timeoutMs "${this.#timeoutMs}"`);
    if (!(this.#maxBytes > 0)) throw new RangeError(`Invalid maxBytes "${this.#maxBytes}"`);
  }

  /** Fetches `args.url`; returns `{status, html, url}`. */
  async call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const raw = args["url"];
    if (typeof raw !== "string" || raw.trim() === "") {
      throw new TypeError(`Cannot fetch: argument "url" must be a non-empty string`);
    }
    const timer = new AbortController();
    const handle = setTimeout(
      () =>
        timer.abort(
          new RunFailure(
            "fetch_timeout",
            `Cannot fetch "${raw}": no answer within ${this.#timeoutMs} ms`,
          ),
        ),
      this.#timeoutMs,
    );
    const signal = ctx?.signal ? AbortSignal.any([ctx.signal, timer.signal]) : timer.signal;
    try {
      const url = this.#checkUrl(raw);
      if (this.#transport) return await this.#viaTransport(url, signal);
      if (this.#sandboxed) return await this.#viaSandboxProxy(url, signal);
      return await this.#viaPinned(url, signal);
    } catch (e) {
      throw signal.aborted && !(e instanceof SecurityBlock) ? signal.reason : e;
    } finally {
      clearTimeout(handle);
    }
  }

  /** Scheme, credentials and allowlist checks: pure, no DNS. */
  #checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw new SecurityBlock(`Cannot fetch "${text}": not a valid URL`, {
        kind: "fetch_blocked",
        target: text,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SecurityBlock(
        `Cannot fetch "${url.href}": scheme "${url.protocol.slice(0, -1)}" is not http or https`,
        { kind: "fetch_blocked", target: url.href },
      );
    }
    if (url.username !== "" || url.password !== "") {
      throw new SecurityBlock(`Cannot fetch "${url.host}": the URL carries credentials`, {
        kind: "fetch_blocked",
        target: url.host,
      });
    }
    if (
      this.#allowedDomains !== null && !this.#allowedDomains.allows(url.hostname, urlPort(url) ?? 0)
    ) {
      throw new SecurityBlock(
        `Cannot fetch "${url.href}": host "${url.host}" is not in allowed_domains`,
        { kind: "off_allowlist", target: url.href },
      );
    }
    return url;
  }

  async #viaTransport(url: URL, signal: AbortSignal): Promise<Record<string, unknown>> {
    const transport = this.#transport as Transport;
    const response = await untilAborted(transport({ url: url.href, method: "GET" }), signal);
    if (byteLength(response.body) > this.#maxBytes) throw this.#oversized(url);
    return { status: response.status, html: response.body, url: url.href };
  }

  /** Follows redirects by hand: every hop goes through `#checkUrl` and `fetchOne` again. */
  async #follow(
    start: URL,
    fetchOne: (url: URL) => Promise<PinnedResponse>,
  ): Promise<Record<string, unknown>> {
    let url = start;
    for (let hop = 0;; hop++) {
      const response = await fetchOne(url);
      if (!REDIRECTS.has(response.status) || response.location === null) {
        return { status: response.status, html: response.body, url: url.href };
      }
      if (hop >= this.#maxRedirects) {
        throw new SecurityBlock(
          `Cannot fetch "${start.href}": more than ${this.#maxRedirects} redirects`,
          { kind: "fetch_blocked", target: url.href },
        );
      }
      let next: URL;
      try {
        next = new URL(response.location, url);
      } catch {
        throw new SecurityBlock(
          `Cannot follow redirect from "${url.href}": "${response.location}" is not a valid URL`,
          { kind: "fetch_blocked", target: response.location },
        );
      }
      url = this.#checkUrl(next.href);
    }
  }

  #viaPinned(start: URL, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.#follow(start, (url) => this.#fetchPinned(url, signal));
  }

  /** Checks the host (before and after resolution), then dials the pinned addresses in turn. */
  async #fetchPinned(url: URL, signal: AbortSignal): Promise<PinnedResponse> {
    const addresses = await untilAborted(
      checkHost(url.hostname, { ...this.#guard, port: urlPort(url) }),
      signal,
    );
    let lastError: unknown = null;
    for (const address of addresses) {
      if (signal.aborted) throw signal.reason;
      try {
        const request = { url, address, maxBytes: this.#maxBytes, caCerts: this.#caCerts, signal };
        return await pinnedRequest(this.#dialer ? { ...request, dialer: this.#dialer } : request);
      } catch (e) {
        // Only a failure to connect falls back to the next checked address.
        if (e instanceof SecurityBlock || signal.aborted || !isConnectError(e)) throw e;
        lastError = e;
      }
    }
    throw new RunFailure(
      "fetch_failed",
      `Cannot fetch "${url.href}": no checked address answered (${String(lastError)})`,
      { cause: lastError },
    );
  }

  /**
   * zu's sandboxed path: the sandbox's egress proxy (from the environment) does the resolving
   * and enforcing; here every hop still passes the scheme, allowlist and literal-address checks.
   */
  #viaSandboxProxy(start: URL, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.#follow(start, async (url) => {
      if (parseIpLiteral(url.hostname) !== null) {
        await checkHost(url.hostname, { ...this.#guard, port: urlPort(url) });
      }
      let response: Response;
      try {
        response = await fetch(url, { redirect: "manual", signal });
      } catch {
        if (signal.aborted) throw signal.reason;
        throw new SecurityBlock(
          `Cannot fetch "${url.href}": egress refused or unreachable via the sandbox proxy`,
          { kind: "fetch_blocked", target: url.href },
        );
      }
      if (response.headers.get("x-zu-egress-refused") === "dns_failed") {
        // The proxy could not resolve the name: a DNS failure, not a refusal.
        await response.body?.cancel();
        throw new UserError(
          "dns_failed",
          `Cannot resolve host "${url.hostname}": the sandbox's egress proxy found no address for it; check the name, or pin it with ZU_SANDBOX_HOSTS=name=ip`,
        );
      }
      const bytes = response.body
        ? await readCapped(response.body, this.#maxBytes, () => this.#oversized(url))
        : new Uint8Array();
      return {
        status: response.status,
        location: response.headers.get("location"),
        body: decoderFor(response.headers.get("content-type") ?? undefined).decode(bytes),
      };
    });
  }

  #oversized(url: URL): SecurityBlock {
    return new SecurityBlock(
      `Cannot fetch "${url.href}": the body is larger than ${this.#maxBytes} bytes`,
      { kind: "oversized", target: url.href },
    );
  }
}

/** Rejects as soon as `signal` aborts, whether or not `promise` observes it. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function isConnectError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" &&
    ["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ETIMEDOUT"].includes(code);
}
