/**
 * Docker plumbing for the launcher (private): the hardened host config, following a container's
 * output line by line, and forgiving removal.
 * @module
 */
import type Dockerode from "dockerode";
import { PassThrough, Readable } from "node:stream";
import { readJsonLines } from "./egress/_json_lines.ts";

/** Labels put on everything the launcher creates. */
export function launcherLabels(runId: string, role: string): Record<string, string> {
  return { "zu.managed": "1", "zu.run": runId, "zu.role": role };
}

/** Inputs of {@link hardenedHostConfig}. */
export interface HardenedInput {
  /** Network to create the container on (it starts there; no `none` mode). */
  network: string;
  /** Inline seccomp profile JSON. */
  seccomp: string;
  /** Memory in bytes (capped at 1 GiB). */
  memoryBytes: number;
  /** Max pids (capped at 256). */
  pids: number;
  /** CPUs. */
  cpus: number;
  /** Read-only binds `host:container`. */
  binds?: readonly string[];
  /** resolv.conf options (e.g. `timeout:1`). */
  dnsOptions?: readonly string[];
  /** `/etc/hosts` entries `name:ip`. */
  extraHosts?: readonly string[];
}

const GIB = 1024 * 1024 * 1024;

/** CapDrop ALL, no-new-privileges, inline seccomp, read-only root, noexec /tmp, limits. */
export function hardenedHostConfig(input: HardenedInput): Dockerode.HostConfig {
  const memory = Math.min(input.memoryBytes, GIB);
  return {
    NetworkMode: input.network,
    CapDrop: ["ALL"],
    SecurityOpt: ["no-new-privileges", `seccomp=${input.seccomp}`],
    ReadonlyRootfs: true,
    Tmpfs: { "/tmp": "rw,noexec,nosuid,nodev,size=64m" },
    PidsLimit: Math.min(input.pids, 256),
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(input.cpus * 1e9),
    Privileged: false,
    AutoRemove: false,
    ...(input.binds && input.binds.length > 0 ? { Binds: input.binds.map((b) => `${b}:ro`) } : {}),
    ...(input.dnsOptions ? { DnsOptions: [...input.dnsOptions] } : {}),
    ...(input.extraHosts ? { ExtraHosts: [...input.extraHosts] } : {}),
  };
}

/** A followed container output. */
export interface FollowedOutput {
  /** Resolves when the container's output ended. */
  done: Promise<void>;
  /** Stops following. */
  stop(): void;
}

/**
 * Follows a container's stdout (JSON lines to `onLine`, anything else to `onText`) and stderr
 * (`onStderr`) from its first byte, until the container stops.
 */
export async function followOutput(
  docker: Dockerode,
  container: Dockerode.Container,
  handlers: {
    onLine: (line: Record<string, unknown>) => void;
    onText?: (text: string) => void;
    onStderr?: (text: string) => void;
  },
): Promise<FollowedOutput> {
  const raw = await container.logs({ follow: true, stdout: true, stderr: true }) as unknown as
    & NodeJS.ReadableStream
    & { destroy?: () => void };
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(raw, out, err);
  const ended = new Promise<void>((resolve) => {
    raw.on("end", () => resolve());
    raw.on("close", () => resolve());
    raw.on("error", () => resolve());
  }).then(() => {
    out.end();
    err.end();
  });
  const stdoutDone = readJsonLines(
    Readable.toWeb(out) as unknown as ReadableStream<Uint8Array>,
    handlers.onLine,
    handlers.onText ? { onOther: handlers.onText } : {},
  ).catch(() => {});
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of err) {
      handlers.onStderr?.(decoder.decode(chunk as Uint8Array, { stream: true }));
    }
  })().catch(() => {});
  return {
    done: Promise.all([ended, stdoutDone, stderrDone]).then(() => {}),
    stop: () => {
      try {
        raw.destroy?.();
      } catch {
        // already gone
      }
    },
  };
}

/** The HTTP status of a dockerode error, if any. */
export function dockerStatus(error: unknown): number | undefined {
  const s = (error as { statusCode?: unknown })?.statusCode;
  return typeof s === "number" ? s : undefined;
}

/** Removes a container (forced), ignoring "not found". */
export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    const status = dockerStatus(e);
    if (status !== 404 && status !== 409) throw e;
  }
}

/** Removes a network, ignoring "not found". */
export async function removeNetwork(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (e) {
    if (dockerStatus(e) !== 404) throw e;
  }
}

/** A bounded tail of text. */
export class TextTail {
  #max: number;
  #text = "";
  /** Keeps the last `max` characters. */
  constructor(max: number) {
    this.#max = max;
  }
  /** Appends text. */
  push(text: string): void {
    this.#text += text;
    if (this.#text.length > this.#max) this.#text = this.#text.slice(-this.#max);
  }
  /** The tail. */
  get text(): string {
    return this.#text;
  }
}
