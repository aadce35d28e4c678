/**
 * How a sandbox comes to trust the run CA: one PEM bundle (the system roots plus the run CA)
 * mounted read-only at {@link SANDBOX_CA_PATH}, and the usual CA variables of OpenSSL, Node,
 * Python requests, curl, git and Deno pointing at it.
 *
 * @example
 * ```ts
 * import { caEnv, SANDBOX_CA_PATH } from "./ca_bundle.ts";
 * const env = caEnv(SANDBOX_CA_PATH);
 * console.assert(env.SSL_CERT_FILE === "/zu/ca.pem" && env.DENO_CERT === "/zu/ca.pem");
 * ```
 * @module
 */

/** Where the bundle is mounted inside a sandbox. */
export const SANDBOX_CA_PATH = "/zu/ca.pem";

/** The system root bundle read by {@linkcode sandboxTrustBundle} (Debian's path). */
export const SYSTEM_ROOTS_PATH = "/etc/ssl/certs/ca-certificates.crt";

/** The environment variables that point common TLS clients at a CA bundle. */
export const CA_ENV_VARS: readonly string[] = Object.freeze([
  "SSL_CERT_FILE",
  "NODE_EXTRA_CA_CERTS",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "GIT_SSL_CAINFO",
  "DENO_CERT",
]);

/** Options of {@linkcode sandboxTrustBundle}. */
export interface TrustBundleOptions {
  /** The system roots to include. Default {@link SYSTEM_ROOTS_PATH}; null for none. */
  readonly systemRootsPath?: string | null;
}

/**
 * The bundle a sandbox trusts: the system roots (when readable; none otherwise) followed by
 * `caPem`. Throws `TypeError` when `caPem` holds no certificate.
 *
 * @example
 * ```ts
 * import { createRunCa, sandboxTrustBundle } from "./mod.ts";
 * const ca = createRunCa({ hosts: ["api.example.com"] });
 * const bundle = sandboxTrustBundle(ca.certPem, { systemRootsPath: null });
 * console.assert(bundle === ca.certPem);
 * ```
 */
export function sandboxTrustBundle(caPem: string, options: TrustBundleOptions = {}): string {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(caPem)) {
    throw new TypeError("Cannot build a trust bundle: the CA is not a PEM certificate");
  }
  const path = options.systemRootsPath === undefined ? SYSTEM_ROOTS_PATH : options.systemRootsPath;
  let roots = "";
  if (path !== null) {
    try {
      roots = Deno.readTextFileSync(path);
    } catch {
      roots = ""; // not present or not readable: the run CA alone
    }
  }
  const ca = caPem.endsWith("\n") ? caPem : `${caPem}\n`;
  if (roots === "") return ca;
  return `${roots.endsWith("\n") ? roots : `${roots}\n`}${ca}`;
}

/**
 * Every variable of {@link CA_ENV_VARS} set to `pathInSandbox`.
 *
 * @example
 * ```ts
 * import { CA_ENV_VARS, caEnv } from "./ca_bundle.ts";
 * console.assert(Object.keys(caEnv("/x.pem")).length === CA_ENV_VARS.length);
 * ```
 */
export function caEnv(pathInSandbox: string = SANDBOX_CA_PATH): Record<string, string> {
  if (!pathInSandbox.startsWith("/")) {
    throw new TypeError(`Cannot point the CA variables at "${pathInSandbox}": not absolute`);
  }
  return Object.fromEntries(CA_ENV_VARS.map((name) => [name, pathInSandbox]));
}
