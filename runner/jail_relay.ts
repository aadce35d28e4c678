/**
 * The host side of the jail's fetch relay (live clearance for jailed runs): the child sends a
 * request to a host its `--allow-net` does not grant as a `zu:relay` call (`jail/fetch_relay.ts`);
 * the host performs it through the run's egress proxy on 127.0.0.1, whose allowlist is the jail's
 * own grant and whose `clearance` is the run's desk. So an undeclared host is **held** on the desk
 * (no DNS, no dial before the allow), an allowed one passes every address check of the proxy (a
 * cleared name resolving to loopback or metadata is refused), and a deny, the deadline or a
 * blocked address comes back as a refusal the child turns into Deno's own `NotCapable`. The
 * child's flags never change (docs/clearance.md, "Jailed runs").
 *
 * Bounds: at most `maxConcurrent` relays at once per run (more are refused `relay_busy`), request
 * bodies up to 1 MiB, response bodies up to 8 MiB (`relay_too_large`), each relay at most
 * `timeoutMs` (the hold plus 30 s by default).
 *
 * @example
 * ```ts ignore
 * import { startJailRelay } from "./jail_relay.ts";
 * await using relay = await startJailRelay({ allowlist: ["shop.example:443"], clearance: { desk: rc.gate, runId: "r" } });
 * const reply = await relay.handle(call); // a `tool_call` with tool "zu:relay"
 * ```
 * @module
 */
import type { Resolver } from "../core/net_guard.ts";
import type { ProxyClearance, RunningEgressProxy } from "../backends/egress/egress_proxy.ts";
import type { ToolCallMessage, ToolResultMessage } from "./jail/protocol.ts";
import { ProxyDecisionBook } from "./proxy_decision_book.ts";
import {
  RELAY_MAX_REQUEST_BYTES,
  RELAY_MAX_RESPONSE_BYTES,
  RELAY_TOOL,
  type RelayAnswer,
  type RelayRequest,
} from "./jail/fetch_relay.ts";

export { RELAY_TOOL };

/** Options of {@link startJailRelay}. */
export interface JailRelayOptions {
  /**
   * The run's egress proxy when one runs already (the credential bindings' one, started with the
   * same `clearance`); the relay then shares it and does not close it. Default: the relay starts
   * its own on 127.0.0.1 from the options below.
   */
  proxy?: RunningEgressProxy;
  /** The shared proxy's decision lines (its `log`), for the reason of a refused tunnel. */
  decisions?: ProxyDecisionBook;
  /** What the proxy lets through without a verdict: the jail's grant (`proxyAllowlist`). */
  allowlist?: readonly string[];
  /** The run's desk and run id. Required when the relay starts its own proxy. */
  clearance?: ProxyClearance;
  /** Local origins (loopback `ip:port`) the proxy lets through. */
  localOrigins?: readonly string[];
  /** Operator-named non-global ranges. */
  allowCidrs?: readonly string[];
  /** Resolves names for the proxy's checks (tests). Default the system resolver. */
  resolver?: Resolver;
  /** Extra roots the host trusts upstream (tests). */
  caCerts?: string[];
  /** Relays at once. Default 16. */
  maxConcurrent?: number;
  /** Longest relay in ms (the hold plus the upstream's time). Default 60 000. */
  timeoutMs?: number;
}

/** The running relay. */
export interface JailRelay extends AsyncDisposable {
  /** The proxy the relay goes through. */
  readonly proxy: RunningEgressProxy;
  /** Answers one `zu:relay` call. Never throws: failures are refusals or `error` replies. */
  handle(call: ToolCallMessage): Promise<ToolResultMessage>;
  /** Stops the proxy if the relay started it; later relays are refused. */
  close(): Promise<void>;
}

function reply(id: number, observation: RelayAnswer): ToolResultMessage {
  return {
    zu_jail: "tool_result",
    id,
    observation: observation as unknown as Record<string, unknown>,
  };
}

function refused(id: number, target: string, reason: string, message: string): ToolResultMessage {
  return reply(id, { refused: { target, reason, message: message.slice(0, 300) } });
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Reads at most `max` bytes; null when there are more. */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) return null;
    parts.push(chunk);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Headers the host sets itself (the body is decoded and re-framed). */
const DROP_RESPONSE = new Set(["content-encoding", "content-length", "transfer-encoding"]);
const DROP_REQUEST = new Set(["host", "content-length", "transfer-encoding", "connection"]);

/** Starts the relay (and its proxy, unless one is given). */
export async function startJailRelay(options: JailRelayOptions): Promise<JailRelay> {
  let own: RunningEgressProxy | null = null;
  let proxy = options.proxy;
  const book = options.decisions ?? new ProxyDecisionBook();
  if (!proxy) {
    if (!options.clearance) throw new TypeError("startJailRelay needs a proxy or a clearance");
    const { startEgressProxy } = await import("../backends/egress/egress_proxy.ts");
    own = await startEgressProxy({
      allowlist: options.allowlist ?? [],
      hostname: "127.0.0.1",
      port: 0,
      clearance: options.clearance,
      log: book.log,
      ...(options.localOrigins?.length ? { localOrigins: options.localOrigins } : {}),
      ...(options.allowCidrs?.length ? { allowCidrs: options.allowCidrs } : {}),
      ...(options.resolver ? { resolver: options.resolver } : {}),
    });
    proxy = own;
  }
  const via = proxy;
  const client = Deno.createHttpClient({
    proxy: { url: via.url },
    ...(options.caCerts?.length ? { caCerts: options.caCerts } : {}),
  });
  const max = options.maxConcurrent ?? 16;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const stop = new AbortController();
  let active = 0;

  const perform = async (id: number, args: RelayRequest): Promise<ToolResultMessage> => {
    let url: URL;
    try {
      url = new URL(String(args.url));
    } catch {
      return refused(id, String(args.url).slice(0, 200), "bad_request", "not a URL");
    }
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const target = `${url.hostname}:${port}`;
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return refused(id, target, "bad_request", "only http and https are relayed");
    }
    const body = typeof args.body_b64 === "string" ? fromBase64(args.body_b64) : null;
    if (body && body.length > RELAY_MAX_REQUEST_BYTES) {
      return refused(id, target, "relay_too_large", "the request body is over 1 MiB");
    }
    const headers = new Headers();
    for (const [k, v] of Array.isArray(args.headers) ? args.headers : []) {
      if (!DROP_REQUEST.has(String(k).toLowerCase())) headers.append(String(k), String(v));
    }
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
    const mark = book.mark();
    let res: Response;
    try {
      res = await fetch(url, {
        method: String(args.method || "GET"),
        headers,
        ...(body ? { body } : {}),
        redirect: args.redirect === "manual" || args.redirect === "error"
          ? args.redirect
          : "follow",
        client,
        signal,
      });
    } catch (e) {
      // A refused CONNECT only fails the fetch: the proxy's decision line says why.
      const why = await book.refusalFor(host, port, mark);
      if (why) return refused(id, target, why.reason, why.message);
      if (signal.aborted) return refused(id, target, "relay_timeout", "no answer in time");
      return {
        zu_jail: "tool_result",
        id,
        error: { name: "TypeError", message: String((e as Error)?.message ?? e).slice(0, 300) },
      };
    }
    const why = res.headers.get("x-zu-egress-refused");
    if (why === "dns_failed") {
      // The name does not resolve: a network failure, as Deno's own fetch reports it.
      await res.body?.cancel();
      return {
        zu_jail: "tool_result",
        id,
        error: { name: "TypeError", message: `dns error: "${host}" did not resolve` },
      };
    }
    if (why !== null) {
      const text = await readBody(res.body, 4096).catch(() => null);
      const detail = res.headers.get("x-zu-deny-reason") !== null && text
        ? new TextDecoder().decode(text).trim()
        : (await book.refusalFor(host, port, mark))?.message ?? "";
      return refused(id, target, why, detail);
    }
    const bytes = await readBody(res.body, RELAY_MAX_RESPONSE_BYTES).catch(() => null);
    if (bytes === null) {
      return refused(id, target, "relay_too_large", "the response is over 8 MiB or broke off");
    }
    return reply(id, {
      status: res.status,
      status_text: res.statusText,
      headers: [...res.headers].filter(([k]) => !DROP_RESPONSE.has(k.toLowerCase())),
      body_b64: toBase64(bytes),
      url: res.url || url.href,
    });
  };

  const handle = async (call: ToolCallMessage): Promise<ToolResultMessage> => {
    const args = (call.args ?? {}) as unknown as RelayRequest;
    const target = String(args.url ?? "").slice(0, 200);
    if (stop.signal.aborted) return refused(call.id, target, "relay_closed", "the run is over");
    if (active >= max) {
      return refused(call.id, target, "relay_busy", `more than ${max} relayed requests at once`);
    }
    active++;
    try {
      return await perform(call.id, args);
    } finally {
      active--;
    }
  };

  const close = async (): Promise<void> => {
    stop.abort();
    client.close();
    await own?.close();
  };
  return { proxy: via, handle, close, [Symbol.asyncDispose]: close };
}
