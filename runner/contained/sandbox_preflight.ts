/**
 * Before a contained run touches anything: a Docker daemon that answers and the runtime image
 * present locally ({@link checkSandbox}), each failure one line that says what to do.
 *
 * @example
 * ```ts ignore
 * import { checkSandbox } from "./sandbox_preflight.ts";
 * await checkSandbox("shop", { image: "zu-runtime:0.1.0" });
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import { UserError } from "../../core/errors.ts";
import { dockerUnavailable } from "../../core/environment_errors.ts";
import { safeEnv } from "../../core/env.ts";
import type { DockerClient } from "../../backends/docker/docker_client.ts";
import { parseDockerEndpoint } from "../../backends/docker/docker_endpoint.ts";
import { openDockerEndpoint } from "../../backends/docker/open_docker_endpoint.ts";
import { CONTAINED_NEEDS_LOCAL, requireLocalEngine } from "../../backends/docker/local_engine.ts";
import { DEFAULT_LAUNCHER_IMAGE } from "./sandbox_launcher.ts";

/**
 * A dockerode client: `docker` when given, else one on `DOCKER_HOST`'s daemon, which must be
 * local (`remote_engine_unsupported` otherwise: a contained run bind-mounts host paths).
 */
export async function dockerClient(
  docker: DockerClient | undefined,
  env: (name: string) => string | undefined,
): Promise<Dockerode> {
  if (docker) return docker as Dockerode;
  const endpoint = parseDockerEndpoint(env);
  requireLocalEngine(endpoint, "run contained", CONTAINED_NEEDS_LOCAL);
  return await openDockerEndpoint(endpoint);
}

/** Options of {@link checkSandbox}. */
export interface CheckSandboxOptions {
  /** dockerode client. Default: `/var/run/docker.sock` (or `DOCKER_HOST`). */
  docker?: DockerClient;
  /** The runtime image. Default `zu-runtime:0.1.0`. */
  image?: string;
  /** Reads the host's environment (`DOCKER_HOST`). Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
}

/**
 * Checks that a Docker daemon answers and the runtime image is present, before anything is
 * opened or created: a `UserError` (one line, saying to run `zu sandbox image build`) otherwise.
 */
export async function checkSandbox(
  agent: string,
  options: CheckSandboxOptions = {},
): Promise<void> {
  const docker = await dockerClient(options.docker, options.env ?? safeEnv);
  await preflight(docker, options.image ?? DEFAULT_LAUNCHER_IMAGE, agent);
}

/** Checks that `docker` answers (within 5 s) and holds `image`; a one-line error otherwise. */
export async function preflight(docker: Dockerode, image: string, agent: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error("no answer within 5000 ms")), 5000)
      ),
    ]);
  } catch (e) {
    throw dockerUnavailable(`run "${agent}" sandboxed`, null, {
      why: `no Docker daemon answers (${
        e instanceof Error ? e.message.split("\n")[0] : String(e)
      })`,
      then: `build the image with "zu sandbox image build"`,
    });
  } finally {
    clearTimeout(timer);
  }
  try {
    await docker.getImage(image).inspect();
  } catch {
    throw new UserError(
      "image_missing",
      `Cannot run "${agent}" sandboxed: image "${image}" is not present locally; build it with "zu sandbox image build"`,
    );
  }
}
