/**
 * TLS for the credential interceptor of the egress proxy:
 *
 * - {@link createRunCa}: a per-run ECDSA P-256 CA, name-constrained to the bound hosts, valid
 *   for at most 24 h, that mints cached server leaves with one shared leaf key.
 * - {@link terminateTls}: the server side of the handshake on a connection the proxy holds
 *   (replaying the ClientHello it already read), ALPN `http/1.1` only.
 * - {@link connectUpstreamTls}: TLS to the pinned upstream address, verified for the host name.
 * - {@link sandboxTrustBundle} and {@link caEnv}: how the sandbox trusts the run CA.
 *
 * @example
 * ```ts
 * import { caEnv, createRunCa, SANDBOX_CA_PATH } from "./mod.ts";
 * const ca = createRunCa({ hosts: ["api.example.com"] });
 * const leaf = ca.mintLeaf("api.example.com");
 * console.assert(leaf.keyPem.includes("PRIVATE KEY"));
 * console.assert(caEnv(SANDBOX_CA_PATH).NODE_EXTRA_CA_CERTS === "/zu/ca.pem");
 * ```
 * @module
 */
export {
  createRunCa,
  LEAF_CACHE_SIZE,
  type LeafCert,
  MAX_CA_VALIDITY_MS,
  type RunCa,
  type RunCaOptions,
} from "./run_ca.ts";
export {
  HANDSHAKE_TIMEOUT_MS,
  type ServerLeaf,
  type TerminatedTls,
  terminateTls,
  type TerminateTlsOptions,
} from "./tls_terminate.ts";
export {
  connectUpstreamTls,
  UPSTREAM_TIMEOUT_MS,
  type UpstreamTlsOptions,
} from "./tls_upstream.ts";
export {
  CA_ENV_VARS,
  caEnv,
  SANDBOX_CA_PATH,
  sandboxTrustBundle,
  SYSTEM_ROOTS_PATH,
  type TrustBundleOptions,
} from "./ca_bundle.ts";
