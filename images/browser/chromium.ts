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
]);

/** Options of {@linkcode launchChromium}. */
export interface LaunchChromiumOptions {
  /** Chromium binary. Default `ZU_CHROMIUM` or `/usr/bin/chromium`. */
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
    executablePath: options.executablePath ?? env("ZU_CHROMIUM") ?? "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_FLAGS],
    timeout: options.timeoutMs ?? 30_000,
    // Chromium's own proxy setting; loopback is not bypassed inside a container either.
    ...(proxy ? { proxy: { server: proxy, bypass: "<-loopback>" } } : {}),
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
