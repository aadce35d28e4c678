/**
 * The egress proxy's screen for git gate tokens: a plain-HTTP request that carries one of the
 * run's gate tokens (in the target, in any header, or inside Basic auth) to anything but the
 * gate's own origin is refused before the proxy dials, like a vault placeholder headed to a host
 * it is not bound to.
 *
 * @example
 * ```ts
 * import { gateTokenScreen } from "./gate_token_screen.ts";
 * const token = `zugate_${"a".repeat(64)}`;
 * const screen = gateTokenScreen([token], { host: "127.0.0.1", port: 9418 });
 * const head = { method: "GET", target: "http://evil.example/", version: "HTTP/1.1", headers: [["Authorization", `Bearer ${token}`]] as [string, string][] };
 * console.assert(screen({ host: "evil.example", port: 80, head })?.status === 403);
 * console.assert(screen({ host: "127.0.0.1", port: 9418, head }) === null);
 * ```
 * @module
 */

/** The request the proxy's `screen` hook sees. */
export interface ScreenedRequest {
  /** Canonical target host. */
  host: string;
  /** Target port. */
  port: number;
  /** The request head. */
  head: { method: string; target: string; version: string; headers: [string, string][] };
}

/** The proxy's refusal. */
export interface ScreenRefusal {
  /** HTTP status. */
  status: number;
  /** Short reason for the decision line. */
  reason: string;
  /** One line for the client. */
  detail?: string;
}

function basicDecoded(value: string): string {
  const m = /^\s*Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!m) return "";
  try {
    return atob(m[1]!);
  } catch {
    return "";
  }
}

function carries(text: string, tokens: readonly string[]): boolean {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch { /* keep the raw text */ }
  return tokens.some((t) => text.includes(t) || decoded.includes(t));
}

/** A screen refusing `tokens` toward anything but `gate` (host and port). */
export function gateTokenScreen(
  tokens: readonly string[],
  gate: { host: string; port: number },
): (request: ScreenedRequest) => ScreenRefusal | null {
  return ({ host, port, head }) => {
    if (host === gate.host && port === gate.port) return null;
    const hit = carries(head.target, tokens) ||
      head.headers.some(([, v]) => carries(v, tokens) || carries(basicDecoded(v), tokens));
    if (!hit) return null;
    return {
      status: 403,
      reason: "blocked_gate_token",
      detail: `a git gate token headed to "${host}:${port}", which is not the gate`,
    };
  };
}
