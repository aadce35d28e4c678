/**
 * zu's Docker sandbox backend: `LocalDockerBackend`, the hardening floor, the image policy, the
 * reaper, the local image builder (no registry needed) and the workspace snapshot store.
 *
 * @example
 * ```ts ignore
 * import { buildAttackImage, LocalDockerBackend } from "./mod.ts";
 * const { tag } = await buildAttackImage();
 * await using backend = new LocalDockerBackend();
 * await using box = await backend.launch({ image: tag });
 * console.log((await backend.execEntrypoint(box, ["id"])).stdout);
 * ```
 * @module
 */
export * from "./local_docker_backend.ts";
export * from "./hardening.ts";
export * from "./sandbox_floor.ts";
export * from "./image_policy.ts";
export * from "./reaper.ts";
export * from "./exec_stream.ts";
export * from "./exec_run.ts";
export * from "./session.ts";
export * from "./warm_pool.ts";
export * from "./pool_key.ts";
export * from "./pool_members.ts";
export * from "./exec_session.ts";
export { SessionClient, SessionLost, type SessionTransport } from "./session_client.ts";
export { type PlainExecBackend, plainExecSession } from "./plain_exec_session.ts";
export { buildShellRuntimeImage, type ShellRuntimeImageOptions } from "./session_shell_image.ts";
export {
  ATTACK_IMAGE,
  attackContext,
  buildAttackImage,
  type BuildImageOptions,
  type BuildImageResult,
  buildRuntimeImage,
  parseLdd,
  RUNTIME_IMAGE,
  runtimeContext,
  ZU_UID,
  ZU_VERSION,
} from "./image_build.ts";
export type { TarEntry } from "./_tar.ts";
export { DEFAULT_SNAPSHOT_DIR, SnapshotStore } from "./snapshot_store.ts";
export { WORKSPACE_PATH } from "./workspace_volume.ts";
export type {
  DockerClient,
  DockerContainer,
  DockerContainerCreateOptions,
} from "./docker_client.ts";
export { readSandboxUsage } from "./sandbox_meter.ts";
export { type InspectNetworks, reachOf } from "./sandbox_reach.ts";
export { type SandboxParts, teardownSandbox } from "./sandbox_teardown.ts";
export * from "./docker_endpoint.ts";
export {
  dialDockerEndpoint,
  type DockerDialer,
  type DockerTlsMaterial,
  modemDialer,
  openDockerEndpoint,
  readTlsMaterial,
  releaseIdleConnections,
} from "./open_docker_endpoint.ts";
export { type DockerConn, sshDialArgs, sshFailure } from "./ssh_dial.ts";
export { daemonError, isConnectionLost, type TlsFailure, tlsFailureOf } from "./daemon_error.ts";
export { requireLocalEngine } from "./local_engine.ts";
