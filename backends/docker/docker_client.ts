/**
 * Public names for the dockerode types that appear in zu's Docker API, so callers can type the
 * client they inject without importing `dockerode` themselves.
 *
 * @example
 * ```ts ignore
 * import type { DockerClient } from "./docker_client.ts";
 * import { LocalDockerBackend } from "./local_docker_backend.ts";
 * declare const docker: DockerClient;
 * await using backend = new LocalDockerBackend({ docker });
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import {
  DEFAULT_DOCKER_SOCKET,
  type DockerEndpoint,
  parseDockerEndpoint,
} from "./docker_endpoint.ts";
import { openDockerEndpoint } from "./open_docker_endpoint.ts";

/** A dockerode client (`new Dockerode({ socketPath })`). */
export type DockerClient = Dockerode;

/** A dockerode container handle (`docker.getContainer(id)`). */
export type DockerContainer = Dockerode.Container;

/** The body of a Docker `POST /containers/create` call, as dockerode types it. */
export type DockerContainerCreateOptions = Dockerode.ContainerCreateOptions;

/**
 * The daemon's unix socket: the `unix://` path of `DOCKER_HOST` when set, else
 * `/var/run/docker.sock` (also for a `tcp://` daemon: use `parseDockerEndpoint` for those).
 *
 * @example
 * ```ts
 * import { dockerSocketPath } from "./docker_client.ts";
 * console.assert(dockerSocketPath(() => "unix:///run/user/1000/docker.sock") === "/run/user/1000/docker.sock");
 * ```
 */
export function dockerSocketPath(
  env: (name: string) => string | undefined = (name) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  },
): string {
  try {
    const e = parseDockerEndpoint(env);
    return e.kind === "unix" ? e.socketPath : DEFAULT_DOCKER_SOCKET;
  } catch {
    return DEFAULT_DOCKER_SOCKET;
  }
}

/**
 * Opens a dockerode client on a unix socket path or an endpoint (default: the environment's,
 * `DOCKER_HOST` with `tcp://` and TLS too; see `docker_endpoint.ts`), loading dockerode on first
 * use.
 */
export async function openDockerClient(target?: string | DockerEndpoint): Promise<DockerClient> {
  return await openDockerEndpoint(
    target === undefined
      ? parseDockerEndpoint()
      : typeof target === "string"
      ? { kind: "unix", socketPath: target }
      : target,
  );
}
