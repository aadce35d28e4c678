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

/** A dockerode client (`new Dockerode({ socketPath })`). */
export type DockerClient = Dockerode;

/** A dockerode container handle (`docker.getContainer(id)`). */
export type DockerContainer = Dockerode.Container;

/** The body of a Docker `POST /containers/create` call, as dockerode types it. */
export type DockerContainerCreateOptions = Dockerode.ContainerCreateOptions;

/**
 * The daemon's unix socket: the `unix://` path of `DOCKER_HOST` when set, else
 * `/var/run/docker.sock`.
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
  const host = env("DOCKER_HOST");
  return host?.startsWith("unix://") ? host.slice("unix://".length) : "/var/run/docker.sock";
}

/** Opens a dockerode client on `socketPath` (default {@link dockerSocketPath}), loading dockerode on first use. */
export async function openDockerClient(socketPath?: string): Promise<DockerClient> {
  const mod = await import("dockerode");
  return new mod.default({ socketPath: socketPath ?? dockerSocketPath() });
}
