/**
 * The daemon side every local image build shares: connect and ping, read an image's
 * `zu.image.hash` label, follow a build or import stream, and build a tar context into a
 * labelled tag, removing the image the tag pointed at before (it would otherwise linger
 * untagged).
 *
 * @module
 */
import type Dockerode from "dockerode";
import { Readable } from "node:stream";
import { UserError } from "../../core/errors.ts";
import { createDockerClient, daemonUnreachable, endpointOf, isDaemonDown } from "./_client.ts";
import type { DockerEndpoint } from "./docker_endpoint.ts";
import { type TarEntry, tarStream } from "./_tar.ts";

/** A file entry of a build context. */
export function fileEntry(path: string, source: string | Uint8Array, mode = 0o644): TarEntry {
  return { type: "file", path, source, mode };
}

/** Whether `path` exists (a dangling link counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The zu checkout this file is in. */
export function defaultProjectRoot(): string {
  return decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
}

/** The given client, or one on `endpoint`/`socketPath` (default: the environment's); pinged, with a clear error when the daemon is down. */
export async function connectDaemon(
  options: { docker?: Dockerode; socketPath?: string; endpoint?: DockerEndpoint },
): Promise<Dockerode> {
  const socket = endpointOf(options);
  const docker = options.docker ?? await createDockerClient(socket);
  try {
    await docker.ping();
  } catch (error) {
    if (isDaemonDown(error)) throw daemonUnreachable(socket, error);
    throw error;
  }
  return docker;
}

/** The image `tag` names: its id and `zu.image.hash` label; null when there is none. */
export async function imageState(
  docker: Dockerode,
  tag: string,
): Promise<{ id: string; hash: string | null } | null> {
  try {
    const info = await docker.getImage(tag).inspect();
    return { id: info.Id, hash: info.Config?.Labels?.["zu.image.hash"] ?? null };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

/** Waits for a build or import stream to end; rejects on the first error it reports. */
export function followProgress(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  tag: string,
  onProgress?: (line: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<Record<string, unknown>>) => {
        if (error) return reject(error);
        const failed = output.find((o) => o.error !== undefined);
        if (failed) {
          return reject(
            new UserError(
              "image_build_failed",
              `Cannot build image "${tag}": ${String(failed.error).trim()}`,
            ),
          );
        }
        resolve();
      },
      (event: Record<string, unknown>) => {
        const line = typeof event.stream === "string" ? event.stream.trim() : "";
        if (line) onProgress?.(line);
      },
    );
  });
}

/** Options of {@link buildLabelled}. */
export interface BuildLabelledOptions {
  /** The tag to build. */
  tag: string;
  /** The `zu.image.hash` label to set (and to find on the result). */
  hash: string;
  /** The id `tag` named before the build, removed once the tag moves. */
  previousId?: string | undefined;
  /** Build progress lines. */
  onProgress?: ((line: string) => void) | undefined;
  /** Cancels the build. */
  signal?: AbortSignal | undefined;
}

/**
 * Streams `entries` to the daemon as a build context, waits for the build, checks the tag now
 * carries `hash`, and removes the previous image unless a container still uses it.
 */
export async function buildLabelled(
  docker: Dockerode,
  entries: TarEntry[],
  options: BuildLabelledOptions,
): Promise<void> {
  const { tag, hash } = options;
  const body = Readable.from(tarStream(entries));
  const stream = await docker.buildImage(body as unknown as NodeJS.ReadableStream, {
    t: tag,
    rm: true,
    forcerm: true,
    labels: { "zu.image.hash": hash },
  });
  const abort = () => (stream as unknown as { destroy?: () => void }).destroy?.();
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    await followProgress(docker, stream, tag, options.onProgress);
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  const after = await imageState(docker, tag);
  if (after?.hash !== hash) {
    throw new UserError(
      "image_build_failed",
      `Cannot build image "${tag}": the daemon did not tag it`,
    );
  }
  if (options.previousId !== undefined && options.previousId !== after.id) {
    // The previous build lost its tag: remove it unless a container still uses it (409).
    await docker.getImage(options.previousId).remove().catch(() => {});
  }
}
