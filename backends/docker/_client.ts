/**
 * Lazy dockerode client and the one-line errors for a dead daemon or a missing image.
 *
 * dockerode is loaded with `await import()` on first use, so importing `./backends/docker` costs
 * nothing until a sandbox is actually launched.
 *
 * @module
 */
import type Dockerode from "dockerode";
import { UserError } from "../../core/errors.ts";
import { dockerUnavailable } from "../../core/environment_errors.ts";

/** Default daemon socket (or the `unix://` path in `DOCKER_HOST`). */
export function defaultSocketPath(): string {
  let host: string | undefined;
  try {
    host = Deno.env.get("DOCKER_HOST");
  } catch {
    host = undefined;
  }
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

/** Creates a dockerode client on a unix socket, loading dockerode on first use. */
export async function createDockerClient(socketPath: string): Promise<Dockerode> {
  const mod = await import("dockerode");
  const Docker = mod.default;
  return new Docker({ socketPath });
}

/** The one-line error for an unreachable daemon. */
export function daemonUnreachable(socketPath: string, cause?: unknown): UserError {
  return dockerUnavailable("start sandbox", socketPath, { cause });
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
