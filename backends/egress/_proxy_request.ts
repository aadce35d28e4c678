/**
 * Request-level pieces of the egress proxy (private): the target of a request head, the
 * decision record, refusals with their status, and the first bytes of a tunnel.
 * @module
 */
import { splitHostPort } from "../../core/host_port.ts";
import type { RequestHead } from "./_http_head.ts";
import type { IdleTimer } from "./_relay.ts";
import { MAX_CLIENT_HELLO, readSni } from "./_tls_sni.ts";

/** Where a request goes. */
export interface Target {
  host: string;
  port: number;
  /** Absolute-form only: the origin-form path. */
  path?: string;
}

/** One decision line (without `event`). */
export interface Decision {
  /** Normalised host (punycode, canonical IP) once parsed; else as requested. */
  host: string;
  /** The host exactly as requested, when it differs from `host` (e.g. an IP encoding). */
  requested?: string;
  ip: string | null;
  port: number | null;
  method: string;
  allowed: boolean;
  reason: string;
  detail?: string;
  bytes_up: number;
  bytes_down: number;
}

/** A decision about a connection nothing is known of yet: refused with `reason` until updated. */
export function newDecision(reason = ""): Decision {
  return {
    host: "",
    ip: null,
    port: null,
    method: "",
    allowed: false,
    reason,
    bytes_up: 0,
    bytes_down: 0,
  };
}

/** A refusal with the status the client gets. */
export class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string, readonly detail?: string) {
    super(reason);
  }
}

/** Reason phrases of the statuses the proxy sends. */
export const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  431: "Request Header Fields Too Large",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Whether `e` is a Deno permission denial. */
export function isNotCapable(e: unknown): boolean {
  if (e instanceof Deno.errors.NotCapable) return true;
  const text = String((e as { cause?: unknown })?.cause ?? e);
  return /Requires \w+ access/.test(text);
}

/** Reads a tunnel's first client bytes until its first TLS record is complete (bounded). */
export async function readTunnelStart(
  client: Deno.Conn,
  already: Uint8Array,
  idle: IdleTimer,
): Promise<{ bytes: Uint8Array; sni: string | null }> {
  let bytes = already;
  const buf = new Uint8Array(4096);
  for (let i = 0; i < 64; i++) {
    const state = readSni(bytes);
    if (state.state === "not_tls") return { bytes, sni: null };
    if (state.state === "done") return { bytes, sni: state.sni };
    if (bytes.length >= MAX_CLIENT_HELLO) break;
    const n = await client.read(buf);
    if (n === null) break;
    idle.touch();
    const next = new Uint8Array(bytes.length + n);
    next.set(bytes);
    next.set(buf.subarray(0, n), bytes.length);
    bytes = next;
  }
  return { bytes, sni: null };
}

/** Parses the request target into host, port and (absolute-form) path. */
export function parseTarget(head: RequestHead): Target {
  if (head.method === "CONNECT") {
    let parts: { host: string; port: number | null };
    try {
      parts = splitHostPort(head.target);
    } catch (e) {
      throw new Refusal(400, "bad_target", String((e as Error).message));
    }
    return { host: parts.host, port: parts.port ?? 443 };
  }
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(head.target);
  if (match === null) throw new Refusal(400, "not_a_proxy_request");
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  if (scheme.toLowerCase() !== "http") {
    throw new Refusal(400, "unsupported_scheme", `scheme "${scheme}" (use CONNECT for https)`);
  }
  if (authority.includes("@")) throw new Refusal(400, "bad_target", "userinfo in the URL");
  let parts: { host: string; port: number | null };
  try {
    parts = splitHostPort(authority);
  } catch (e) {
    throw new Refusal(400, "bad_target", String((e as Error).message));
  }
  const raw = rest === "" ? "/" : rest.startsWith("/") ? rest.replace(/#.*$/, "") : `/${rest}`;
  // The head was decoded as UTF-8 for the host; keep the path ASCII on the wire.
  const path = raw.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  return { host: parts.host, port: parts.port ?? 80, path };
}
