/**
 * Lazy dockerode client (on any endpoint, {@link openDockerEndpoint}) and the one-line errors for a dead daemon or a missing image.
 *
 * dockerode is loaded with `await import()` on first use, so importing `./backends/docker` costs
 * nothing until a sandbox is actually launched.
 *
 * @module
 */
import type Dockerode from "dockerode";
import { type RunFailure, UserError } from "../../core/errors.ts";
import {
  DEFAULT_DOCKER_SOCKET,
  describeEndpoint,
  type DockerEndpoint,
  parseDockerEndpoint,
} from "./docker_endpoint.ts";
import { daemonError, tlsFailureOf } from "./daemon_error.ts";
import { openDockerEndpoint } from "./open_docker_endpoint.ts";
import { dockerUnavailable } from "../../core/environment_errors.ts";

/**
 * The default daemon's unix socket (the `unix://` path in `DOCKER_HOST`, else
 * `/var/run/docker.sock`); never throws (a bad `DOCKER_HOST` is reported where a client opens).
 */
export function defaultSocketPath(): string {
  try {
    const e = parseDockerEndpoint();
    return e.kind === "unix" ? e.socketPath : DEFAULT_DOCKER_SOCKET;
  } catch {
    return DEFAULT_DOCKER_SOCKET;
  }
}

/** The endpoint a `socketPath`/`endpoint` option pair names; the environment's when neither. */
export function endpointOf(
  options: { socketPath?: string | undefined; endpoint?: DockerEndpoint | undefined },
): DockerEndpoint {
  if (options.endpoint) return options.endpoint;
  if (options.socketPath !== undefined) return { kind: "unix", socketPath: options.socketPath };
  return parseDockerEndpoint();
}

/** Creates a dockerode client on a unix socket or an endpoint, loading dockerode on first use. */
export async function createDockerClient(target: string | DockerEndpoint): Promise<Dockerode> {
  return await openDockerEndpoint(
    typeof target === "string" ? { kind: "unix", socketPath: target } : target,
  );
}

/** The one-line error for an unreachable daemon (a TLS failure says which). */
export function daemonUnreachable(
  target: string | DockerEndpoint,
  cause?: unknown,
): UserError | RunFailure {
  const endpoint: DockerEndpoint = typeof target === "string"
    ? { kind: "unix", socketPath: target }
    : target;
  return daemonError(endpoint, cause, "start sandbox") ??
    dockerUnavailable(
      "start sandbox",
      endpoint.kind === "unix" ? endpoint.socketPath : describeEndpoint(endpoint),
      { cause },
    );
}

/** The one-line error for an image that is not present locally. */
export function imageMissing(image: string, cause?: unknown): UserError {
  return new UserError(
    "image_missing",
    `Cannot start sandbox: image "${image}" is not present locally; run "zu sandbox image build"`,
    cause === undefined ? undefined : { cause },
  );
}

/** Whether an error means "the daemon is not there" (socket missing, refused, reset). */
export function isDaemonDown(error: unknown): boolean {
  if (tlsFailureOf(error) !== null) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === "string" && ["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE"].includes(code)
  ) {
    return true;
  }
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
    return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /ECONNREFUSED|ENOENT|connect .*docker\.sock|No such file or directory \(os error 2\)|Connection refused/
    .test(message);
}

/** HTTP status carried by a dockerode error, if any. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
