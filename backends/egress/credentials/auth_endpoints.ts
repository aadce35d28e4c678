/**
 * The auth-protect rule (terok #873): a provider's own login and token endpoints are denied
 * from the sandbox on an intercepted host unless a binding names that host explicitly (not
 * through a `*.domain` wildcard). An agent with an injected key must not trade it, or a device
 * code, for a fresh long-lived credential it could read.
 *
 * The table is data: add a row for a new provider here, nowhere else.
 *
 * | Host | Paths |
 * |---|---|
 * | `github.com` | `/login/oauth/access_token`, `/login/device/code` |
 * | `oauth2.googleapis.com` | `/token` |
 * | `auth.openai.com` | every path |
 * | `console.anthropic.com` | `/v1/oauth/token` |
 *
 * A path is compared after percent-decoding, lower-casing, collapsing `//` and resolving dot
 * segments, so `/login/oauth/%61ccess_token` and `/x/../token` match too; a row's path covers
 * itself and everything below it.
 *
 * @example
 * ```ts
 * import { AUTH_ENDPOINTS, isAuthEndpoint } from "./auth_endpoints.ts";
 * console.assert(isAuthEndpoint(AUTH_ENDPOINTS, "github.com", "/login/oauth/access_token"));
 * console.assert(!isAuthEndpoint(AUTH_ENDPOINTS, "github.com", "/zu/repo"));
 * ```
 * @module
 */

/** One denied endpoint: a canonical host and a path prefix (`/` = the whole host). */
export interface AuthEndpoint {
  /** Canonical host (lower-case). */
  readonly host: string;
  /** Path it covers, with everything below it. */
  readonly path: string;
}

/** Provider login and token endpoints (see the module doc). */
export const AUTH_ENDPOINTS: readonly AuthEndpoint[] = Object.freeze([
  { host: "github.com", path: "/login/oauth/access_token" },
  { host: "github.com", path: "/login/device/code" },
  { host: "oauth2.googleapis.com", path: "/token" },
  { host: "auth.openai.com", path: "/" },
  { host: "console.anthropic.com", path: "/v1/oauth/token" },
]);

/**
 * A request path (query dropped) in comparable form: percent-decoded until stable,
 * lower-case, `//` collapsed, `.` and `..` resolved, no trailing `/`.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./auth_endpoints.ts";
 * console.assert(normalizePath("//Login/./oauth/x/../%2561ccess_token/?a=1") === "/login/oauth/access_token");
 * ```
 */
export function normalizePath(target: string): string {
  let p = target.split(/[?#]/, 1)[0] ?? "";
  for (let i = 0; i < 4 && p.includes("%"); i++) {
    const next = p.replace(
      /%([0-9a-fA-F]{2})/g,
      (_, h: string) => String.fromCharCode(parseInt(h, 16)),
    );
    if (next === p) break;
    p = next;
  }
  const out: string[] = [];
  for (const seg of p.toLowerCase().replaceAll("\\", "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** Whether `path` on `host` is one of `table`'s endpoints. */
export function isAuthEndpoint(
  table: readonly AuthEndpoint[],
  host: string,
  path: string,
): boolean {
  const p = normalizePath(path);
  return table.some((e) => {
    if (e.host !== host) return false;
    const base = normalizePath(e.path);
    return base === "/" || p === base || p.startsWith(base + "/");
  });
}
