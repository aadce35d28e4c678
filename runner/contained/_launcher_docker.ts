/**
 * Docker plumbing for the launcher (private): the hardened host config, following a container's
 * output line by line, and forgiving removal.
 * @module
 */
import type Dockerode from "dockerode";
import { UserError } from "../../core/errors.ts";
import { dockerUnavailable } from "../../core/environment_errors.ts";
import { PassThrough, Readable } from "node:stream";
import { readJsonLines } from "../../backends/egress/json_lines.ts";
import { hardenedCreateOptions, managedLabels } from "../../backends/docker/hardening.ts";
import { checkSandboxFloor, type FloorContext } from "../../backends/docker/sandbox_floor.ts";

/** Start time of this process (`/proc/self/stat` field 22), or "" when unreadable. */
export function ownStartTime(): string {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "";
  } catch {
    return "";
  }
}

/** Labels put on everything the launcher creates: H5's managed labels plus `zu.role`. */
export function launcherLabels(runId: string, role: string): Record<string, string> {
  return {
    ...managedLabels({
      runId,
      ownerPid: Deno.pid,
      ownerStart: ownStartTime(),
      createdAt: Date.now(),
    }),
    "zu.role": role,
  };
}

/** Inputs of {@link launcherCreateOptions}. */
export interface LauncherContainerInput {
  /** Container name. */
  name: string;
  /** Image. */
  image: string;
  /** Argv. */
  cmd: string[];
  /** Environment. */
  env: Record<string, string>;
  /** Run id (labels). */
  runId: string;
  /** `zu.role` label. */
  role: string;
  /** Network to create the container on. */
  network: string;
  /** Inline seccomp profile JSON. */
  seccomp: string;
  /** Memory in bytes (the floor caps it at 1 GiB). */
  memoryBytes: number;
  /** Max pids (the floor caps it at 256). */
  pids: number;
  /** CPUs (the floor caps it at the host's). */
  cpus: number;
  /** Working directory. */
  workdir?: string;
  /** Read-only binds `host:container`. */
  binds?: readonly string[];
  /** resolv.conf options (e.g. `timeout:1`). */
  dnsOptions?: readonly string[];
  /** `/etc/hosts` entries. */
  extraHosts?: Readonly<Record<string, string>>;
  /**
   * The sidecar's host socket directory (bound read-only at `/zu/vault`, allowed by the floor
   * for this container only). Never given for an agent container.
   */
  hostSocketDir?: string;
}

/**
 * Create options on the sandbox floor of `backends/docker/hardening.ts` (caps, seccomp,
 * read-only root, non-root, limits, labels), plus only additive, non-loosening settings:
 * read-only binds, resolv.conf options, the `zu.role` label, an empty entrypoint.
 */
export function launcherCreateOptions(
  input: LauncherContainerInput,
): Dockerode.ContainerCreateOptions {
  const labels = launcherLabels(input.runId, input.role);
  const options = hardenedCreateOptions({
    image: input.image,
    cmd: input.cmd,
    env: input.env,
    memoryBytes: input.memoryBytes,
    pidsLimit: input.pids,
    cpus: input.cpus,
    ...(input.workdir ? { workdir: input.workdir } : {}),
    ...(input.extraHosts ? { extraHosts: { ...input.extraHosts } } : {}),
  }, {
    name: input.name,
    runId: input.runId,
    seccompJson: input.seccomp,
    networkMode: input.network,
    ownerPid: Deno.pid,
    ownerStart: labels["zu.pidstart"] ?? "",
    createdAt: Number(labels["zu.created"]),
    hostCpus: navigator.hardwareConcurrency || 1,
  });
  options.Labels = { ...options.Labels, "zu.role": input.role };
  options.Entrypoint = [];
  const host = options.HostConfig ?? {};
  if (input.binds && input.binds.length > 0) host.Binds = input.binds.map((b) => `${b}:ro`);
  if (input.dnsOptions) host.DnsOptions = [...input.dnsOptions];
  options.HostConfig = host;
  const floor: FloorContext = input.hostSocketDir ? { hostSocketDir: input.hostSocketDir } : {};
  checkSandboxFloor(options, floor);
  return options;
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
 * (`onStderr`) until the container stops: `attach` before it starts, or `logs` after.
 */
export async function followOutput(
  docker: Dockerode,
  container: Dockerode.Container,
  handlers: {
    onLine: (line: Record<string, unknown>) => void;
    onText?: (text: string) => void;
    onStderr?: (text: string) => void;
  },
  mode: "attach" | "logs" = "logs",
): Promise<FollowedOutput> {
  // "attach" (before start) streams live output and does not depend on the log driver's
  // rotation; "logs" replays from the first byte of a running container.
  const raw =
    (mode === "attach"
      ? await container.attach({ stream: true, stdout: true, stderr: true })
      : await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as
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

/** One clear line for a dead daemon or a missing image; other errors pass through. */
export function dockerError(e: unknown, runId: string, image: string): unknown {
  const status = dockerStatus(e);
  if (status === 404 && /image/i.test(String((e as Error)?.message))) {
    return new UserError(
      "image_missing",
      `Cannot start sandbox run "${runId}": image "${image}" is not present locally; run "zu sandbox image build"`,
      { cause: e },
    );
  }
  const code = (e as { code?: unknown })?.code;
  if (code === "ENOENT" || code === "ECONNREFUSED") {
    return dockerUnavailable(`start sandbox run "${runId}"`, null, { cause: e });
  }
  return e;
}

/** A short, unique name part for a run: a prefix of its id plus random hex. */
export function shortId(runId: string): string {
  const prefix = runId.replace(/[^a-zA-Z0-9]/g, "").slice(0, 8).toLowerCase();
  const random = crypto.getRandomValues(new Uint8Array(3));
  return `${prefix}${prefix ? "-" : ""}${
    [...random].map((b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}
