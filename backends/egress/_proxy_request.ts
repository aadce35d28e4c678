/**
 * Request-level pieces of the egress proxy (private): the target of a request head, the
 * decision record, refusals with their status, and the first bytes of a tunnel.
 * @module
 */
import { splitHostPort } from "../../core/host_port.ts";
import type { RequestHead } from "./_http_head.ts";
import { MAX_TUNNEL_START_BYTES, readClientHello } from "./_tls_sni.ts";

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
  /** The clearance request that held this connection, when one did. */
  clearance?: string;
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

/** A refusal with the status the client gets (and, optionally, headers and a short body). */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail?: string,
    readonly answer?: { headers?: Record<string, string>; body?: string },
  ) {
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

/** Default time a tunnel's client has to send its whole ClientHello. */
export const SNI_DEADLINE_MS = 5000;

/** The start of a tunnel: the bytes read so far and the ClientHello's name, or a refusal. */
export type TunnelStart =
  | { ok: true; bytes: Uint8Array; sni: string | null }
  | { ok: false; reason: string; detail: string };

/**
 * Reads a tunnel's first client bytes until they hold a complete ClientHello (reassembled
 * across TLS records and TCP reads), at most {@link MAX_TUNNEL_START_BYTES} bytes and
 * `deadlineMs` milliseconds; refuses anything that is not one. A client that closes without
 * sending a byte gets `closed_empty` (nothing to refuse: nothing was sent).
 */
export async function readTunnelStart(
  client: { read(p: Uint8Array): Promise<number | null> },
  already: Uint8Array,
  deadlineMs: number,
): Promise<TunnelStart> {
  // One buffer for the whole ClientHello: reads land in place, nothing is copied per read.
  const buf = new Uint8Array(Math.max(MAX_TUNNEL_START_BYTES, already.length));
  buf.set(already);
  let length = already.length;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadlineMs);
  });
  try {
    while (true) {
      const bytes = buf.subarray(0, length);
      const state = readClientHello(bytes);
      if (state.state === "done") return { ok: true, bytes: bytes.slice(), sni: state.sni };
      if (state.state === "refused") {
        return { ok: false, reason: state.reason, detail: state.detail };
      }
      if (length >= MAX_TUNNEL_START_BYTES) {
        return {
          ok: false,
          reason: "client_hello_too_large",
          detail: `no complete ClientHello in "${length}" bytes`,
        };
      }
      // Never read past the cap: at most what is left of the buffer, 4 KiB at a time.
      const room = buf.subarray(length, Math.min(buf.length, length + 4096));
      const reading = client.read(room).catch(() => null);
      const n = await Promise.race([reading, deadline]);
      if (n === "deadline") {
        return {
          ok: false,
          reason: "sni_timeout",
          detail: `no complete ClientHello within ${deadlineMs} ms ("${length}" bytes)`,
        };
      }
      if (n === null) {
        if (length === 0) {
          return { ok: false, reason: "closed_empty", detail: "the client sent nothing" };
        }
        return {
          ok: false,
          reason: "client_hello_truncated",
          detail: `the client closed after "${length}" bytes`,
        };
      }
      length += n;
    }
  } finally {
    clearTimeout(timer);
  }
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
