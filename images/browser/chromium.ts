/**
 * Launches the system Chromium through `playwright-core`, headless, with the flags a locked-down
 * container needs: no sandbox (the container is the sandbox and has no user namespaces), no GPU,
 * no QUIC (so every request goes through the HTTP proxy), no first-run, no background
 * networking, no component updates, no sync; a fresh profile per launch (Playwright's temporary
 * user-data-dir). The proxy is the environment's `HTTPS_PROXY` (the egress proxy), when set.
 *
 * @example
 * ```ts ignore
 * import { launchChromium } from "./chromium.ts";
 * const browser = await launchChromium();
 * await browser.close();
 * ```
 * @module
 */
import { type Browser, chromium } from "playwright-core";

/**
 * Hosts Chromium itself calls at start even with every background flag off (the on-demand
 * component updater, GAIA account listing, network time). Inside the browser they are bypassed
 * around the proxy and resolved to nothing, so they fail locally instead of showing up as the
 * page's refused egress; a page that targets them fails the same way (and its `network` list
 * shows the failed request).
 */
export const BROWSER_SERVICE_HOSTS: readonly string[] = [
  "update.googleapis.com",
  "accounts.google.com",
  "clients2.google.com",
  "clients2.googleusercontent.com",
  "optimizationguide-pa.googleapis.com",
  "content-autofill.googleapis.com",
];

/** Flags passed to every Chromium (on top of Playwright's own). */
export const CHROMIUM_FLAGS: readonly string[] = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-default-apps",
  "--disable-extensions",
  "--mute-audio",
  "--no-default-browser-check",
  "--renderer-process-limit=2",
  "--disable-domain-reliability",
  "--disable-breakpad",
  "--no-pings",
  `--host-resolver-rules=${BROWSER_SERVICE_HOSTS.map((h) => `MAP ${h} ~NOTFOUND`).join(", ")}`,
]);

/**
 * Chromium binaries tried in order. Debian's `/usr/bin/chromium` is a shell wrapper that sources
 * `/etc/chromium.d` (Google API keys, `--enable-remote-extensions`), which makes Chromium call
 * Google at start; the real binary behind it does not.
 */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "/usr/lib/chromium/chromium",
  "/usr/bin/chromium",
];

/** The first present {@linkcode CHROMIUM_CANDIDATES} entry (the last one when none is). */
export function defaultChromium(): string {
  for (const path of CHROMIUM_CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return CHROMIUM_CANDIDATES[CHROMIUM_CANDIDATES.length - 1]!;
}

/** Options of {@linkcode launchChromium}. */
export interface LaunchChromiumOptions {
  /** Chromium binary. Default `ZU_CHROMIUM`, else {@linkcode defaultChromium}. */
  executablePath?: string;
  /** Proxy URL. Default `HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, `http_proxy` (first set). */
  proxy?: string | null;
  /** Launch timeout in ms. Default 30,000. */
  timeoutMs?: number;
  /** Environment seam. Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
}

function systemEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The proxy from the environment (`HTTPS_PROXY` first), or `null`. */
export function proxyFromEnv(env: (name: string) => string | undefined = systemEnv): string | null {
  for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]) {
    const v = env(name)?.trim();
    if (v) return v;
  }
  return null;
}

/** Starts a headless Chromium (see the module doc). */
export function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const env = options.env ?? systemEnv;
  const proxy = options.proxy === undefined ? proxyFromEnv(env) : options.proxy;
  return chromium.launch({
    executablePath: options.executablePath ?? env("ZU_CHROMIUM") ?? defaultChromium(),
    headless: true,
    args: [...CHROMIUM_FLAGS],
    timeout: options.timeoutMs ?? 30_000,
    // Chromium's own proxy setting; loopback is not bypassed inside a container either.
    ...(proxy
      ? { proxy: { server: proxy, bypass: ["<-loopback>", ...BROWSER_SERVICE_HOSTS].join(",") } }
      : {}),
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
