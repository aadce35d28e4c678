/**
 * The child side of live clearance in the jail: `fetch` to a host the child's `--allow-net` does
 * not grant is not refused by Deno at once but **relayed** to the host over the jail's channel
 * (the `tool_call` line of host-executed tools, with the reserved name {@link RELAY_TOOL}). The
 * host sends it through the run's egress proxy, which holds it on the run's clearance desk until
 * an operator's verdict (docs/clearance.md, "Jailed runs"). The child's flags never change: a
 * granted host (declared hosts, loopback origins, the model broker) keeps the real `fetch`
 * exactly as before, and the relay only ever answers what the host's proxy let through.
 *
 * A refusal (deny, deadline, blocked address) rejects like Deno's own permission failure, a
 * `NotCapable` whose message starts `Requires net access to "host:port"`, so the run records a
 * `runtime_permission` block as it does without the relay, with the proxy's readable reason.
 *
 * @example
 * ```ts
 * import { installFetchRelay } from "./fetch_relay.ts";
 * const restore = installFetchRelay({
 *   call: () => Promise.resolve({ zu_jail: "tool_result", id: 1, observation: { refused: { target: "x.test:80", reason: "operator", message: "no" } } }),
 * }, { granted: () => false });
 * await fetch("http://x.test/").catch((e) => console.assert(e.name === "NotCapable"));
 * restore();
 * ```
 * @module
 */
import type { ToolResultMessage } from "./protocol.ts";

/** The reserved `tool_call` name of a relayed request (never a registry tool). */
export const RELAY_TOOL = "zu:relay";
/** Largest request body relayed, in bytes. */
export const RELAY_MAX_REQUEST_BYTES = 1 << 20;
/** Largest response body relayed, in bytes. */
export const RELAY_MAX_RESPONSE_BYTES = 8 << 20;

/** A relayed request, as the child sends it (the `args` of the `tool_call`). */
export interface RelayRequest {
  /** Absolute http(s) URL. */
  url: string;
  /** Method. */
  method: string;
  /** Request headers. */
  headers: [string, string][];
  /** Body, base64 (absent: none). */
  body_b64?: string;
  /** The caller's redirect mode. */
  redirect: RequestRedirect;
}

/** The host's answer to a relayed request (the `observation` of the `tool_result`). */
export type RelayAnswer =
  | {
    /** HTTP status. */
    status: number;
    /** Status text. */
    status_text: string;
    /** Response headers. */
    headers: [string, string][];
    /** Body, base64. */
    body_b64: string;
    /** The final URL. */
    url: string;
  }
  | {
    /** Refused by the host's proxy or the relay's own bounds. */
    refused: { target: string; reason: string; message: string };
  };

/** Options of {@link installFetchRelay}. */
export interface FetchRelayOptions {
  /** Whether the child's own permission grants `host:port`. Default `Deno.permissions.querySync`. */
  granted?: (hostPort: string) => boolean;
  /** The run's trace id (unused by the relay; keys host tool sessions). Default "". */
  traceId?: () => string;
}

/** What sends a relayed request to the host: the jail's {@link HostToolClient} is one. */
export interface RelayChannel {
  /** Sends a `tool_call` and resolves with its `tool_result`. */
  call(tool: string, args: Record<string, unknown>, traceId: string): Promise<ToolResultMessage>;
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}

/** Whether this process's net permission grants `host:port` (`Deno.permissions.querySync`). */
export function queryGranted(hostPort: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "net", host: hostPort }).state === "granted";
  } catch {
    return false;
  }
}

function urlOf(input: RequestInfo | URL): URL | null {
  try {
    if (input instanceof Request) return new URL(input.url);
    return new URL(input instanceof URL ? input.href : String(input));
  } catch {
    return null;
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A refusal as Deno's own: `NotCapable: Requires net access to "host:port": why`. */
export function relayRefusal(target: string, reason: string, message: string): Error {
  const why = message ? `${reason}: ${message}` : reason;
  return new Deno.errors.NotCapable(
    `Requires net access to "${target}": the host's egress proxy refused it (${why})`,
  );
}

function withAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Sends one request through `channel` whatever the child's grant (the wrapped `fetch` and the
 * jail's `http_fetch` use it for hosts the grant does not cover): a `Response`, or Deno's own
 * `NotCapable` with the proxy's reason.
 */
export async function relayFetch(
  channel: RelayChannel,
  input: RequestInfo | URL,
  init?: RequestInit,
  traceId = "",
): Promise<Response> {
  const req = new Request(input, init);
  const url = new URL(req.url);
  return await relayed(channel, traceId, req, `${url.hostname}:${defaultPort(url)}`);
}

async function relayed(
  channel: RelayChannel,
  traceId: string,
  req: Request,
  target: string,
): Promise<Response> {
  let body: Uint8Array | null = null;
  if (req.body) {
    body = new Uint8Array(await req.arrayBuffer());
    if (body.length > RELAY_MAX_REQUEST_BYTES) {
      throw relayRefusal(
        target,
        "relay_too_large",
        `the request body is over ${RELAY_MAX_REQUEST_BYTES} bytes`,
      );
    }
  }
  const args: RelayRequest = {
    url: req.url,
    method: req.method,
    headers: [...req.headers],
    redirect: req.redirect,
    ...(body ? { body_b64: toBase64(body) } : {}),
  };
  const reply = await withAbort(
    channel.call(RELAY_TOOL, args as unknown as Record<string, unknown>, traceId),
    req.signal,
  );
  if (reply.error) throw new TypeError(`fetch failed: ${reply.error.message}`);
  const answer = reply.observation as RelayAnswer | undefined;
  if (!answer) throw new TypeError("fetch failed: the host sent no answer");
  if ("refused" in answer) {
    const r = answer.refused;
    throw relayRefusal(target, String(r.reason), String(r.message ?? ""));
  }
  const bytes = NULL_BODY.has(answer.status) ? null : fromBase64(answer.body_b64);
  const res = new Response(bytes, {
    status: answer.status,
    statusText: answer.status_text,
    headers: answer.headers,
  });
  Object.defineProperty(res, "url", { value: answer.url });
  return res;
}

/**
 * Replaces `globalThis.fetch` with one that relays http(s) requests to hosts the child may not
 * reach through `channel`; everything else goes to the real `fetch` untouched. Returns a function
 * that puts the real `fetch` back.
 */
export function installFetchRelay(
  channel: RelayChannel,
  options: FetchRelayOptions = {},
): () => void {
  const real = globalThis.fetch;
  const granted = options.granted ?? queryGranted;
  const traceId = options.traceId ?? (() => "");
  const wrapped = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return real(input, init);
    }
    const target = `${url.hostname}:${defaultPort(url)}`;
    if (granted(target)) return real(input, init);
    let req: Request;
    try {
      req = new Request(input, init);
    } catch (e) {
      return Promise.reject(e);
    }
    return relayed(channel, traceId(), req, target);
  };
  globalThis.fetch = wrapped as typeof fetch;
  return () => {
    if (globalThis.fetch === wrapped) globalThis.fetch = real;
  };
}
