/**
 * The dashboard's three static answers (`GET /`, `/ui/app.js`, `/ui/app.css`) with strict
 * headers: a CSP of `default-src 'self'` (no inline script or style, no other origin, no
 * framing, no form posts), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
 * `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`, and cross-origin isolation of the
 * page's window and resources. They carry no secret (the token comes from the URL fragment or the
 * paste box), so `zu serve` answers them without auth, after its loopback `Host` check.
 *
 * @example
 * ```ts
 * import { dashboardAsset } from "./dashboard_assets.ts";
 * const page = dashboardAsset("GET", "/");
 * console.assert(page?.headers.get("x-frame-options") === "DENY");
 * console.assert(dashboardAsset("GET", "/v1/runs") === null);
 * ```
 * @module
 */
import { DASHBOARD_CSS } from "./dashboard_css.ts";
import { DASHBOARD_HTML } from "./dashboard_html.ts";
import { DASHBOARD_JS } from "./dashboard_js.ts";

/** The Content-Security-Policy of every dashboard answer. */
export const DASHBOARD_CSP: string = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The security headers of every dashboard answer. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": DASHBOARD_CSP,
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
});

const ASSETS: ReadonlyMap<string, { type: string; body: string }> = new Map([
  ["/", { type: "text/html; charset=utf-8", body: DASHBOARD_HTML }],
  ["/ui/app.js", { type: "text/javascript; charset=utf-8", body: DASHBOARD_JS }],
  ["/ui/app.css", { type: "text/css; charset=utf-8", body: DASHBOARD_CSS }],
]);

/** The paths the dashboard answers. */
export const DASHBOARD_PATHS: readonly string[] = [...ASSETS.keys()];

/** The answer for a dashboard path (`GET` or `HEAD`), or null for any other request. */
export function dashboardAsset(method: string, pathname: string): Response | null {
  if (method !== "GET" && method !== "HEAD") return null;
  const asset = ASSETS.get(pathname);
  if (!asset) return null;
  return new Response(method === "HEAD" ? null : asset.body, {
    status: 200,
    headers: { ...DASHBOARD_HEADERS, "content-type": asset.type },
  });
}
