/**
 * The hardening floor: the container options every zu sandbox gets, whatever its spec says.
 *
 * | setting | value | a spec can |
 * | --- | --- | --- |
 * | capabilities | `CapDrop: ["ALL"]`, none added | nothing |
 * | privileges | `no-new-privileges` | nothing |
 * | seccomp | a shipped profile, inline (`default` unless the spec names `block`) | pick the other shipped one; never a path, inline JSON or `unconfined` |
 * | pids | ≤ 256 | lower it |
 * | memory | ≤ 1 GiB, `MemorySwap = Memory` (no swap) | lower it |
 * | CPU | `NanoCpus` quota ≤ the host's CPUs (default 1) | lower it |
 * | user | `10001:10001` | nothing |
 * | root filesystem | read-only; `/tmp` tmpfs `rw,noexec,nosuid,nodev,size=64m` | nothing |
 * | workspace | none; opt-in: its own fresh volume at `/workspace` (tmpfs, noexec, nosuid, nodev, uid 10001, size-capped) | ask for one, lower its size |
 * | network | `none`; `isolated` = an internal network; `unrestricted` only with an explicit opt-in | choose the mode |
 * | labels | `zu.managed=1`, `zu.run`, `zu.pid`, `zu.pidstart`, `zu.created`, owner (`zu.host`, `zu.boot`, `zu.pidns`, `zu.uid`) | nothing |
 * | namespaces, devices, mounts | none of the host's; no devices; no binds | nothing |
 *
 * Unknown spec fields, and anything in the built options that would loosen the floor, are
 * refused by `./sandbox_floor.ts` (`SandboxFloorError`), which every container path runs.
 *
 * @module
 */
import type Dockerode from "dockerode";
import type { DockerContainerCreateOptions } from "./docker_client.ts";
import type { SandboxSpec } from "../../core/types.ts";
import { checkSandboxFloor, checkSandboxSpec } from "./sandbox_floor.ts";
import { ownerLabels } from "./owner.ts";
import { WORKSPACE_LABEL, workspaceMount, workspaceSizeBytes } from "./workspace_volume.ts";

/** Upper bound of pids in a sandbox. */
export const MAX_PIDS = 256;
/** Upper bound of memory in a sandbox (bytes). */
export const MAX_MEMORY_BYTES: number = 1024 * 1024 * 1024;
/** Default memory (bytes). */
export const DEFAULT_MEMORY_BYTES: number = 512 * 1024 * 1024;
/** Smallest memory Docker accepts (bytes). */
export const MIN_MEMORY_BYTES: number = 8 * 1024 * 1024;
/** Default CPUs. */
export const DEFAULT_CPUS = 1;
/** The unprivileged user every sandbox runs as. */
export const SANDBOX_USER = "10001:10001";
/** The `/tmp` tmpfs options. */
export const TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=64m";
/** Label on everything zu creates. */
export const MANAGED_LABEL = "zu.managed";

/** What the floor needs besides the spec. */
export interface HardeningContext {
  /** Container name. */
  name: string;
  /** Run (trace) id for the `zu.run` label. */
  runId: string;
  /** Seccomp profile JSON (inline): a shipped profile's (`seccompJsonFor`), else refused. */
  seccompJson: string;
  /** Network to create the container on (`none`, an internal network name, or `bridge`). */
  networkMode: string;
  /** Host pid of the owning process (`zu.pid`). */
  ownerPid: number;
  /** Start time of the owning process (`zu.pidstart`, from `/proc/<pid>/stat`), or "". */
  ownerStart: string;
  /** Creation time, ms since epoch (`zu.created`). */
  createdAt: number;
  /** CPUs of the host (cap of the CPU quota). */
  hostCpus: number;
  /** The workspace volume created for this sandbox (mounted at `/workspace`). Default none. */
  workspaceVolume?: string;
}

/** Labels put on every container, network and snapshot zu creates. */
export function managedLabels(
  ctx: Pick<HardeningContext, "runId" | "ownerPid" | "ownerStart" | "createdAt">,
): Record<string, string> {
  return {
    [MANAGED_LABEL]: "1",
    "zu.run": ctx.runId,
    "zu.pid": String(ctx.ownerPid),
    "zu.pidstart": ctx.ownerStart,
    "zu.created": String(ctx.createdAt),
    ...ownerLabels(),
  };
}

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
  return Math.max(min, Math.min(max, v));
}

function envList(spec: SandboxSpec): string[] {
  const env: Record<string, string> = { ...(spec.env ?? {}) };
  if (spec.proxy) {
    for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) env[k] = spec.proxy;
    env.NO_PROXY ??= "localhost,127.0.0.1";
    env.no_proxy ??= env.NO_PROXY;
  }
  return Object.entries(env).map(([k, v]) => {
    if (!k || k.includes("=") || k.includes("\0") || v.includes("\0")) {
      throw new TypeError(`Invalid environment variable "${k}" in the sandbox spec`);
    }
    return `${k}=${v}`;
  });
}

/**
 * The memory and CPU limits a spec gets under the floor (memory clamped to 8 MiB..1 GiB, default
 * 512 MiB; CPUs to 0.01..the host's, default 1). The estimate of `estimateCost` uses the same.
 *
 * @example
 * ```ts
 * import { sandboxLimits } from "./hardening.ts";
 * console.assert(sandboxLimits({ image: "x", cpus: 8 }, 2).cpus === 2);
 * ```
 */
export function sandboxLimits(
  spec: SandboxSpec,
  hostCpus: number,
): { memoryBytes: number; cpus: number } {
  return {
    memoryBytes: Math.floor(
      clamp(spec.memoryBytes, DEFAULT_MEMORY_BYTES, MIN_MEMORY_BYTES, MAX_MEMORY_BYTES),
    ),
    cpus: clamp(spec.cpus, DEFAULT_CPUS, 0.01, Math.max(0.01, hostCpus)),
  };
}

/**
 * The container create options for a spec, with the floor applied. Pure: no daemon involved.
 *
 * @example
 * ```ts
 * import { hardenedCreateOptions } from "./hardening.ts";
 * import { seccompJsonFor } from "./sandbox_floor.ts";
 * const opts = hardenedCreateOptions({ image: "zu-runtime:0.1.0", pidsLimit: 10_000 }, {
 *   name: "zu-x", runId: "run-1", seccompJson: seccompJsonFor("default"), networkMode: "none", ownerPid: 1,
 *   ownerStart: "", createdAt: 0, hostCpus: 2,
 * });
 * console.assert(opts.HostConfig?.PidsLimit === 256);
 * ```
 */
export function hardenedCreateOptions(
  spec: SandboxSpec,
  ctx: HardeningContext,
): DockerContainerCreateOptions {
  checkSandboxSpec(spec);
  const { memoryBytes: memory, cpus } = sandboxLimits(spec, ctx.hostCpus);
  const pids = Math.floor(clamp(spec.pidsLimit, MAX_PIDS, 1, MAX_PIDS));
  const extraHosts = Object.entries(spec.extraHosts ?? {}).map(([host, ip]) => {
    if (!/^[A-Za-z0-9.-]+$/.test(host) || !/^[0-9A-Fa-f:.]+$/.test(ip)) {
      throw new TypeError(`Invalid extra host "${host}" -> "${ip}" in the sandbox spec`);
    }
    return `${host}:${ip}`;
  });
  const options: Dockerode.ContainerCreateOptions = {
    name: ctx.name,
    Image: spec.image,
    User: SANDBOX_USER,
    Env: envList(spec),
    Labels: managedLabels(ctx),
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: ctx.networkMode === "none",
    HostConfig: {
      CapDrop: ["ALL"],
      CapAdd: [],
      SecurityOpt: ["no-new-privileges", `seccomp=${ctx.seccompJson}`],
      Privileged: false,
      PidsLimit: pids,
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(cpus * 1e9),
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": TMPFS_OPTIONS },
      NetworkMode: ctx.networkMode,
      ExtraHosts: extraHosts,
      AutoRemove: false,
      Init: false,
      IpcMode: "private",
      Ulimits: [{ Name: "core", Soft: 0, Hard: 0 }],
      LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
    },
  };
  if (spec.cmd && spec.cmd.length > 0) options.Cmd = [...spec.cmd];
  if (spec.workdir) options.WorkingDir = spec.workdir;
  if (workspaceSizeBytes(spec.workspace) > 0) {
    if (ctx.workspaceVolume === undefined) {
      throw new TypeError("A sandbox spec with a workspace needs its workspace volume");
    }
    options.HostConfig!.Mounts = [workspaceMount(ctx.workspaceVolume)] as never;
    options.Labels![WORKSPACE_LABEL] = ctx.workspaceVolume;
  }
  checkSandboxFloor(options, {
    unrestricted: spec.network === "unrestricted" && spec.allowUnrestrictedEgress === true,
    hostCpus: ctx.hostCpus,
    ...(ctx.workspaceVolume !== undefined ? { workspaceVolume: ctx.workspaceVolume } : {}),
  });
  return options;
}
