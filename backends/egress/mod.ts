/**
 * The egress proxy: the only way off the box for a sandboxed agent.
 *
 * - {@link startEgressProxy}: the proxy in-process (CONNECT + absolute-form HTTP, allowlist,
 *   SSRF checks before and after a single resolution, pinned dialing, one JSON line per
 *   decision).
 * - {@link spawnProxyProcess}: the same proxy as a child `deno run` under exactly the
 *   `--allow-net` that {@link permissionFlagsForProxy} computes, so Deno refuses what the
 *   proxy's own checks might miss.
 * - {@link createRunCa}, {@link terminateTls}, {@link connectUpstreamTls}: TLS for the
 *   credential interceptor (a per-run name-constrained CA, termination of a held connection,
 *   the verified upstream leg); also `./tls/mod.ts`.
 * - `sidecar.ts`: the process entry (also what the launcher's proxy container runs).
 * - `./clearance/mod.ts` ({@link ClearanceDesk}, {@link sanitizeForOperator}): live clearance,
 *   where a request to an undeclared host waits for an operator (the proxy's `clearance` option).
 * - {@link startModelBroker}: the model broker, through which a sandboxed agent's provider
 *   reaches its API with a per-run phantom while the real key stays in the host process.
 *
 * @example
 * ```ts ignore
 * import { spawnProxyProcess } from "@zu/zu/backends/egress";
 * await using proxy = await spawnProxyProcess({ allowlist: ["api.example.com"] });
 * console.log(`HTTPS_PROXY=${proxy.url}`, proxy.flags);
 * ```
 * @module
 */
export * from "./clearance/mod.ts";
export {
  type Dialer,
  type EgressProxyOptions,
  type ProxyClearance,
  type ProxyLogLine,
  type RunningEgressProxy,
  startEgressProxy,
} from "./egress_proxy.ts";
export {
  type EgressHandoff,
  type HandoffHead,
  type HandoffRequest,
  type HandoffResult,
  requestHeadBytes,
} from "./handoff.ts";
export {
  type HandoffSocket,
  type HandoffSocketOptions,
  serveHandoffSocket,
} from "./handoff_socket.ts";
export {
  permissionFlagsForProxy,
  type ProxyPermissionInput,
  UNSAFE_TEST_ENV,
} from "./permission_flags.ts";
export { proxyCommand, type ProxyCommandInput } from "./proxy_command.ts";
export {
  pinAllowlist,
  ProcessEgressProxy,
  type ProxyProcess,
  SIDECAR_URL,
  type SpawnProxyOptions,
  spawnProxyProcess,
} from "./spawn_proxy_process.ts";
export { DockerProxyEgress, type DockerProxyEgressOptions } from "./docker_proxy_egress.ts";
export {
  CA_ENV_VARS,
  caEnv,
  connectUpstreamTls,
  createRunCa,
  HANDSHAKE_TIMEOUT_MS,
  LEAF_CACHE_SIZE,
  type LeafCert,
  MAX_CA_VALIDITY_MS,
  type RunCa,
  type RunCaOptions,
  SANDBOX_CA_PATH,
  sandboxTrustBundle,
  type ServerLeaf,
  SYSTEM_ROOTS_PATH,
  type TerminatedTls,
  terminateTls,
  type TerminateTlsOptions,
  type TrustBundleOptions,
  UPSTREAM_TIMEOUT_MS,
  type UpstreamTlsOptions,
} from "./tls/mod.ts";
export {
  type BrokerRoute,
  type ModelBrokerOptions,
  type RunningModelBroker,
  startModelBroker,
} from "./model_broker.ts";
export { mintPhantom, phantomMatches, presentedToken, tokenHash } from "./phantom.ts";
