/**
 * The egress proxy's hand-off seam: a request whose target a handler claims is given to that
 * handler right after the head is read, before the proxy's own allowlist, address checks and
 * dial. The handler then owns the connection and every check: the credential interceptor (TLS
 * termination toward hosts that have a secret binding) and the sidecar's forward of the
 * reserved broker host and of bound hosts to the host process both plug in here.
 *
 * @example
 * ```ts
 * import { type EgressHandoff, requestHeadBytes } from "./handoff.ts";
 * const handoff: EgressHandoff = {
 *   claims: (host) => host === "zu-vault",
 *   serve: () => Promise.resolve({ up: 0, down: 0, reason: "handed_off" }),
 * };
 * const head = { method: "GET", target: "http://zu-vault/r/a/x", version: "HTTP/1.1", headers: [["Host", "zu-vault"]] as [string, string][] };
 * console.assert(handoff.claims("zu-vault", 80, "http"));
 * console.assert(new TextDecoder().decode(requestHeadBytes(head)).startsWith("GET http://zu-vault/r/a/x HTTP/1.1\r\n"));
 * ```
 * @module
 */

/** A request head as the proxy read it. */
export interface HandoffHead {
  /** Upper-case method. */
  method: string;
  /** The request target exactly as sent. */
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
}

/** What a claimed request carries to its handler. */
export interface HandoffRequest {
  /** `connect` for a CONNECT tunnel (no `200` has been sent yet), `http` for an absolute-form request. */
  kind: "connect" | "http";
  /** Canonical target host (`core/host_normalize.ts`). */
  host: string;
  /** Target port. */
  port: number;
  /** The head as read. */
  head: HandoffHead;
  /** Bytes the client sent past the head (a body's start, or a tunnel's first bytes). */
  rest: Uint8Array;
}

/** What the handler reports for the proxy's decision line. */
export interface HandoffResult {
  /** Bytes sent toward the destination. */
  up: number;
  /** Bytes sent back to the client. */
  down: number;
  /** The decision's reason (default `handed_off`). */
  reason?: string;
  /** False when the handler refused the request. Default true. */
  allowed?: boolean;
  /** One line of detail. */
  detail?: string;
}

/** A handler of claimed requests. */
export interface EgressHandoff {
  /** Whether the handler takes requests to `host:port` of this kind. Must be cheap and pure. */
  claims(host: string, port: number, kind: "connect" | "http"): boolean;
  /** Serves the claimed connection to its end; the proxy closes `client` afterwards. */
  serve(client: Deno.Conn, request: HandoffRequest): Promise<HandoffResult>;
}

/** The head re-serialised exactly as read (request line, header lines, blank line), Latin-1. */
export function requestHeadBytes(head: HandoffHead): Uint8Array {
  const lines = [`${head.method} ${head.target} ${head.version}`];
  for (const [k, v] of head.headers) lines.push(`${k}: ${v}`);
  const text = lines.join("\r\n") + "\r\n\r\n";
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
