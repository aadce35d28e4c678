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
