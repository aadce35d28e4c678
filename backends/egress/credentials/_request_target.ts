/**
 * The target checks of one intercepted request (private): the `Host` header and an absolute-form
 * authority must both name the tunnel's host and port, and the path used in events.
 * @module
 */
import { normalizeHost } from "../../../core/host_normalize.ts";
import { splitHostPort } from "../../../core/host_port.ts";

/** The request's origin-form target and path, or why the target does not match. */
export type TargetCheck =
  | { ok: true; originTarget: string; path: string; hostHeader: string }
  | { ok: false; why: string; path: string };

function authorityMatches(
  authority: string,
  host: string,
  port: number,
  defaultPort: number,
): boolean {
  let parts: { host: string; port: number | null };
  try {
    parts = splitHostPort(authority);
  } catch {
    return false;
  }
  if (authority.includes("@")) return false;
  return normalizeHost(parts.host) === host && (parts.port ?? defaultPort) === port;
}

/** The path of a target, without query or fragment (origin or absolute form). */
export function targetPath(target: string): string {
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*(.*)$/.exec(target);
  const rest = abs ? abs[1]! : target;
  const path = rest.split(/[?#]/, 1)[0] ?? "";
  return path === "" ? "/" : path;
}

/**
 * Checks `target` and the `Host` lines against the tunnel's `host:port` (`scheme` https over a
 * CONNECT, http for a plain request).
 */
export function checkTarget(
  target: string,
  headers: readonly [string, string][],
  host: string,
  port: number,
  scheme: "https" | "http",
): TargetCheck {
  const path = targetPath(target);
  const defaultPort = scheme === "https" ? 443 : 80;
  const hosts = headers.filter(([k]) => k.toLowerCase() === "host").map(([, v]) => v.trim());
  if (hosts.length !== 1) return { ok: false, why: `"${hosts.length}" Host headers`, path };
  const hostHeader = hosts[0]!;
  if (!authorityMatches(hostHeader, host, port, defaultPort)) {
    return { ok: false, why: "the Host header names another host", path };
  }
  let originTarget = target;
  const abs = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(target);
  if (abs) {
    if (abs[1]!.toLowerCase() !== scheme) return { ok: false, why: "another scheme", path };
    if (!authorityMatches(abs[2]!, host, port, defaultPort)) {
      return { ok: false, why: "the request target names another host", path };
    }
    originTarget = abs[3] === "" ? "/" : abs[3]!;
  }
  if (!originTarget.startsWith("/") && !(originTarget === "*")) {
    return { ok: false, why: "not an origin-form target", path };
  }
  return { ok: true, originTarget, path, hostHeader };
}
