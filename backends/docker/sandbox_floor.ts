/**
 * The sandbox floor as a check: what a {@link SandboxSpec} may say, and what the final container
 * create options must look like, whoever built them. Everything that could loosen the floor is
 * refused with a {@link SandboxFloorError} (one line, the field and its value in quotes):
 *
 * - a spec field zu does not know (`privileged`, `binds`, `hostConfig`, ...), or one of the
 *   wrong type;
 * - a seccomp profile that is not a shipped one by name (`block`, `default`): never a path,
 *   inline JSON or `unconfined`;
 * - a network that is not `none`, an internal network name, or `bridge` with the explicit
 *   `unrestricted` opt-in (`host`, `container:<id>` and the like never);
 * - in the create options: any capability added or not all dropped, privileged, a missing
 *   `no-new-privileges`, a security option other than a shipped seccomp profile, pids above 256,
 *   memory above 1 GiB or swap, no CPU quota, a user other than `10001:10001`, a writable root,
 *   a `/tmp` other than the noexec tmpfs, host namespaces (pid, ipc, uts, user, cgroup),
 *   devices, extra mounts, a writable bind or a bind of the Docker socket or of a system path,
 *   and any HostConfig field the floor does not set;
 * - a bind of a host socket directory (one holding a unix socket, or named `zu_vault_*`, or
 *   of a directory that holds one) or any bind at `/zu/vault`: the host's model broker and TLS
 *   interceptor listen there, and only the egress-proxy sidecar may reach them, through exactly
 *   the one bind its {@link FloorContext.hostSocketDir} names. An agent container never gets
 *   one.
 *
 * @example
 * ```ts
 * import { checkSandboxSpec, SandboxFloorError } from "./sandbox_floor.ts";
 * try {
 *   checkSandboxSpec({ image: "zu-runtime:0.1.0", seccomp: "unconfined" });
 * } catch (e) {
 *   console.assert(e instanceof SandboxFloorError);
 * }
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { SandboxSpec } from "../../core/types.ts";
import { SECCOMP_PROFILE_NAMES, shippedSeccompProfile } from "../../seccomp/mod.ts";
import type { DockerContainerCreateOptions } from "./docker_client.ts";
import { defaultSocketPath } from "./_client.ts";
import { isWorkspaceField, workspaceMount } from "./workspace_volume.ts";

/** A spec or create option that would loosen the sandbox floor. */
export class SandboxFloorError extends UserError {
  /** Creates the error (`what` names the field and its value). */
  constructor(what: string) {
    super("sandbox_floor", `Cannot start sandbox: ${what} would loosen the hardening floor`);
    this.name = "SandboxFloorError";
  }
}

/** The floor's limits (duplicated from hardening.ts to keep this module free of cycles). */
const FLOOR = {
  user: "10001:10001",
  maxPids: 256,
  maxMemory: 1024 * 1024 * 1024,
  tmpfs: "rw,noexec,nosuid,nodev,size=64m",
} as const;

const q = (v: unknown): string => {
  const text = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return `"${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`;
};

/** The inline JSON of a shipped seccomp profile by name; anything else is refused. */
export function seccompJsonFor(name: unknown): string {
  if (typeof name !== "string" || !SECCOMP_PROFILE_NAMES.includes(name)) {
    throw new SandboxFloorError(
      `seccomp profile ${q(name)} (only the shipped ${
        SECCOMP_PROFILE_NAMES.map((n) => `"${n}"`).join(" or ")
      })`,
    );
  }
  return shippedSeccompProfile(name).json;
}

let shippedJson: Set<string> | undefined;
function isShippedSeccompJson(json: string): boolean {
  shippedJson ??= new Set(SECCOMP_PROFILE_NAMES.map((n) => shippedSeccompProfile(n).json));
  return shippedJson.has(json);
}

const SPEC_FIELDS: Record<keyof SandboxSpec, (v: unknown) => boolean> = {
  image: (v) => typeof v === "string" && v.length > 0,
  network: (v) => v === "none" || v === "isolated" || v === "unrestricted",
  networkName: (v) => typeof v === "string" && isNetworkName(v) && !RESERVED_NETWORKS.has(v),
  allowUnrestrictedEgress: (v) => typeof v === "boolean",
  allowlist: (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
  proxy: (v) => typeof v === "string" && /^http:\/\/[^\s/]+\/?$/.test(v),
  env: (v) => isStringRecord(v),
  cmd: (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
  extraHosts: (v) => isStringRecord(v),
  memoryBytes: (v) => typeof v === "number",
  pidsLimit: (v) => typeof v === "number",
  cpus: (v) => typeof v === "number",
  runId: (v) => typeof v === "string",
  workdir: (v) => typeof v === "string" && v.startsWith("/") && !v.includes("\0"),
  seccomp: (v) => typeof v === "string",
  workspace: isWorkspaceField,
};

function isStringRecord(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string");
}

function isNetworkName(v: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(v);
}

/** Docker's own networks: never a sandbox's "internal" network. */
const RESERVED_NETWORKS: ReadonlySet<string> = new Set(["host", "bridge", "none", "default"]);

/**
 * Refuses a spec that names a field zu does not know, a field of the wrong type, or a seccomp
 * profile that is not shipped. Limits (memory, pids, CPUs) are not refused: the floor clamps
 * them; `unrestricted` without its opt-in is refused by the backend (`network_policy`) and its
 * `bridge` network by {@link checkSandboxFloor}.
 */
export function checkSandboxSpec(spec: SandboxSpec): void {
  if (typeof spec !== "object" || spec === null) throw new SandboxFloorError(`spec ${q(spec)}`);
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    const valid = Object.hasOwn(SPEC_FIELDS, key)
      ? SPEC_FIELDS[key as keyof SandboxSpec]
      : undefined;
    if (valid === undefined) throw new SandboxFloorError(`unknown spec field ${q(key)}`);
    if (key === "seccomp") seccompJsonFor(value);
    else if (!valid(value)) throw new SandboxFloorError(`spec field "${key}" ${q(value)}`);
  }
}

/** Where the sidecar sees the host socket directory (`broker.sock`, `intercept.sock`). */
export const HOST_SOCKET_MOUNT = "/zu/vault";

/** The name prefix of a host socket directory (a temp dir, mode 0700). */
export const HOST_SOCKET_DIR_PREFIX = "zu_vault_";

/** What the final check needs to know besides the options. */
export interface FloorContext {
  /**
   * The one host socket directory this container may bind, read-only, at
   * {@link HOST_SOCKET_MOUNT}: given only for the egress-proxy sidecar of a run that forwards to
   * the host. Default none (every socket directory refused).
   */
  hostSocketDir?: string;
  /** The spec opted into `unrestricted` (so `bridge` is allowed). Default false. */
  unrestricted?: boolean;
  /** The host's CPUs (cap of the quota). Default `navigator.hardwareConcurrency`. */
  hostCpus?: number;
  /**
   * The one workspace volume this container may mount (read-write, at `/workspace`, created
   * for it by the backend). Default none (every mount refused).
   */
  workspaceVolume?: string;
}

/** Top-level create fields the floor knows; anything else is refused. */
const OPTION_FIELDS: ReadonlySet<string> = new Set([
  "name",
  "Image",
  "User",
  "Env",
  "Labels",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "Tty",
  "OpenStdin",
  "NetworkDisabled",
  "HostConfig",
  "Cmd",
  "Entrypoint",
  "WorkingDir",
]);

/** HostConfig fields the floor sets (or allows, read-only binds and resolver options). */
const HOST_FIELDS: ReadonlySet<string> = new Set([
  "CapDrop",
  "CapAdd",
  "SecurityOpt",
  "Privileged",
  "PidsLimit",
  "Memory",
  "MemorySwap",
  "NanoCpus",
  "ReadonlyRootfs",
  "Tmpfs",
  "NetworkMode",
  "ExtraHosts",
  "AutoRemove",
  "Init",
  "IpcMode",
  "Ulimits",
  "LogConfig",
  "Binds",
  "DnsOptions",
  "Mounts",
]);

/** Host paths never bound into a sandbox (and every parent of the Docker socket). */
function forbiddenBindSource(source: string): string | null {
  const norm = source.replace(/\/+$/, "") || "/";
  const sockets = new Set(["/var/run/docker.sock", "/run/docker.sock", defaultSocketPath()]);
  for (const s of sockets) {
    if (norm === s || s.startsWith(`${norm === "/" ? "" : norm}/`)) return "the Docker socket";
  }
  if (/\.sock$/.test(norm)) return "a socket";
  if (/^\/(proc|sys|dev|boot|etc|run|var\/run)(\/|$)/.test(norm)) return "a system path";
  // The daemon's data (other sandboxes' volumes, workspaces included) is never bound in.
  if (/^\/var\/lib\/docker(\/|$)/.test(norm)) return "the Docker data directory";
  return null;
}

/** Why `path` (a directory) is a host socket directory or holds one, else null. */
function socketDirReason(path: string): string | null {
  const base = path.replace(/\/+$/, "").split("/").at(-1) ?? "";
  if (base.startsWith(HOST_SOCKET_DIR_PREFIX)) return "a host socket directory";
  try {
    for (const entry of Deno.readDirSync(path)) {
      if (entry.name.startsWith(HOST_SOCKET_DIR_PREFIX)) {
        return "a parent of a host socket directory";
      }
      if (entry.isFile || entry.isDirectory || entry.isSymlink) continue;
      try {
        if (Deno.lstatSync(`${path}/${entry.name}`).isSocket) return "a directory holding a socket";
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // not a directory, or not readable here
  }
  return null;
}

function checkBind(bind: unknown, hostSocketDir: string | undefined): void {
  if (typeof bind !== "string") throw new SandboxFloorError(`bind ${q(bind)}`);
  const [source = "", target = "", opts = "", ...more] = bind.split(":");
  if (!source.startsWith("/") || !target.startsWith("/") || more.length > 0) {
    throw new SandboxFloorError(`bind ${q(bind)} (only host-path:container-path:ro)`);
  }
  if (!opts.split(",").includes("ro")) throw new SandboxFloorError(`writable bind ${q(bind)}`);
  const mountedAtSockets = target.replace(/\/+$/, "") === HOST_SOCKET_MOUNT ||
    target.startsWith(`${HOST_SOCKET_MOUNT}/`) || HOST_SOCKET_MOUNT.startsWith(`${target}/`);
  if (hostSocketDir !== undefined && source === hostSocketDir) {
    if (target !== HOST_SOCKET_MOUNT) {
      throw new SandboxFloorError(
        `bind ${q(bind)} (the host socket directory goes at "${HOST_SOCKET_MOUNT}" only)`,
      );
    }
    const why = forbiddenBindSource(source);
    if (why !== null) throw new SandboxFloorError(`bind ${q(bind)} of ${why}`);
    return;
  }
  if (mountedAtSockets) throw new SandboxFloorError(`bind ${q(bind)} at the host socket mount`);
  const paths = new Set([source]);
  try {
    paths.add(Deno.realPathSync(source));
  } catch {
    // not there (or not readable here): judged by its name and where a link points
    try {
      paths.add(Deno.readLinkSync(source));
    } catch {
      // not a link
    }
  }
  for (const path of paths) {
    const why = forbiddenBindSource(path) ?? socketDirReason(path);
    if (why !== null) throw new SandboxFloorError(`bind ${q(bind)} of ${why}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks final container create options against the floor; throws {@link SandboxFloorError}
 * naming the first field that would loosen it. Every path that creates a sandbox container runs
 * its options through this just before `createContainer`.
 */
export function checkSandboxFloor(
  options: DockerContainerCreateOptions,
  context: FloorContext = {},
): void {
  const fail = (what: string): never => {
    throw new SandboxFloorError(what);
  };
  for (const key of Object.keys(options)) {
    if (!OPTION_FIELDS.has(key)) fail(`create option ${q(key)}`);
  }
  if (options.User !== FLOOR.user) fail(`user ${q(options.User)}`);
  if (typeof options.Image !== "string" || options.Image === "") fail(`image ${q(options.Image)}`);
  const h = (options.HostConfig ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(h)) {
    if (value !== undefined && !HOST_FIELDS.has(key)) fail(`HostConfig field ${q(key)}`);
  }
  if (!same(h.CapDrop, ["ALL"])) fail(`CapDrop ${q(h.CapDrop)}`);
  if (h.CapAdd !== undefined && !same(h.CapAdd, [])) fail(`CapAdd ${q(h.CapAdd)}`);
  if (h.Privileged !== false) fail(`Privileged ${q(h.Privileged)}`);
  const sec = Array.isArray(h.SecurityOpt) ? h.SecurityOpt as unknown[] : [];
  if (sec.length !== 2 || sec[0] !== "no-new-privileges") fail(`SecurityOpt ${q(h.SecurityOpt)}`);
  const seccomp = String(sec[1]);
  if (!seccomp.startsWith("seccomp=") || !isShippedSeccompJson(seccomp.slice(8))) {
    fail(`seccomp ${q(seccomp)} (only the shipped profiles)`);
  }
  const pids = h.PidsLimit;
  if (!Number.isInteger(pids) || (pids as number) < 1 || (pids as number) > FLOOR.maxPids) {
    fail(`PidsLimit ${q(pids)}`);
  }
  const memory = h.Memory;
  if (!Number.isInteger(memory) || (memory as number) < 1 || (memory as number) > FLOOR.maxMemory) {
    fail(`Memory ${q(memory)}`);
  }
  if (h.MemorySwap !== memory) fail(`MemorySwap ${q(h.MemorySwap)} (no swap)`);
  const cpus = context.hostCpus ?? (navigator.hardwareConcurrency || 1);
  const nano = h.NanoCpus;
  if (!Number.isInteger(nano) || (nano as number) < 1 || (nano as number) > cpus * 1e9) {
    fail(`NanoCpus ${q(nano)}`);
  }
  if (h.ReadonlyRootfs !== true) fail(`ReadonlyRootfs ${q(h.ReadonlyRootfs)}`);
  if (!same(h.Tmpfs, { "/tmp": FLOOR.tmpfs })) fail(`Tmpfs ${q(h.Tmpfs)}`);
  if (h.IpcMode !== undefined && h.IpcMode !== "private") fail(`IpcMode ${q(h.IpcMode)}`);
  if (h.Init !== undefined && h.Init !== false) fail(`Init ${q(h.Init)}`);
  const network = h.NetworkMode;
  if (typeof network !== "string" || !isNetworkName(network)) fail(`network ${q(network)}`);
  if (network === "host" || (network === "none") !== (options.NetworkDisabled === true)) {
    fail(`network ${q(network)}`);
  }
  if ((network === "bridge" || network === "default") && context.unrestricted !== true) {
    fail(`network ${q(network)} without the unrestricted opt-in`);
  }
  if (h.Binds !== undefined) {
    if (!Array.isArray(h.Binds)) fail(`Binds ${q(h.Binds)}`);
    for (const bind of h.Binds as unknown[]) checkBind(bind, context.hostSocketDir);
  }
  if (h.Mounts !== undefined) checkMounts(h.Mounts, context.workspaceVolume);
}

/** Only the sandbox's own workspace volume, exactly as `workspaceMount` builds it. */
function checkMounts(mounts: unknown, workspaceVolume: string | undefined): void {
  if (!Array.isArray(mounts)) throw new SandboxFloorError(`Mounts ${q(mounts)}`);
  if (mounts.length === 0) return;
  if (workspaceVolume === undefined || mounts.length !== 1) {
    throw new SandboxFloorError(`mount ${q(mounts[0])} (only the sandbox's own workspace)`);
  }
  if (!same(mounts[0], workspaceMount(workspaceVolume))) {
    throw new SandboxFloorError(`mount ${q(mounts[0])} (only the sandbox's own workspace)`);
  }
}
