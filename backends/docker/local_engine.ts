/**
 * The refusal for features that need the Docker engine on this host: bind mounts of host paths
 * (the contained run's proxy sidecar mounts the host's socket directory and zu's source; the
 * browsing tools' egress proxy mounts zu's source) resolve on the daemon's machine, so on a
 * remote engine they would mount an empty directory there. Refused before anything is created.
 *
 * @example
 * ```ts
 * import { requireLocalEngine } from "./local_engine.ts";
 * let code = "";
 * try {
 *   requireLocalEngine({ kind: "tcp", host: "10.0.0.5", port: 2376, tls: null }, "run contained", "its proxy sidecar bind-mounts host sockets");
 * } catch (e) {
 *   code = (e as { code: string }).code;
 * }
 * console.assert(code === "remote_engine_unsupported");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { describeEndpoint, type DockerEndpoint, endpointIsLocal } from "./docker_endpoint.ts";

/**
 * Throws `remote_engine_unsupported` (one line: what, why, what to do) unless `endpoint` is a
 * unix socket on this host.
 */
export function requireLocalEngine(endpoint: DockerEndpoint, what: string, why: string): void {
  if (endpointIsLocal(endpoint)) return;
  throw new UserError(
    "remote_engine_unsupported",
    `Cannot ${what} on the remote Docker engine at ${
      describeEndpoint(endpoint)
    }: ${why}, which works only with a local engine; unset DOCKER_HOST (or set it to unix:///var/run/docker.sock) for this command`,
  );
}

/** Why a contained run needs a local engine (the launcher's and the preflight's wording). */
export const CONTAINED_NEEDS_LOCAL =
  "contained runs need a local engine: the proxy sidecar bind-mounts this host's socket directory and zu's source";
