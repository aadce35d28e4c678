/**
 * The writable `/workspace` of a sandbox: a Docker volume created for one sandbox only.
 *
 * The volume is a `local` volume backed by tmpfs (`size=…,uid=10001,gid=10001,mode=0700,nosuid,
 * nodev,noexec`): owned by the sandbox user (a plain local volume is root's, and the floor's user
 * has no CAP_CHOWN), size-capped (a sandbox cannot fill the host's disk; its pages count against
 * the sandbox's memory cgroup), and noexec like the floor's `/tmp` (scripts run through an
 * interpreter, nothing written at run time is executed directly). Its name is random, it carries
 * the sandbox's labels plus `zu.workspace=1` and `zu.sandbox=<container name>`, and the floor
 * admits exactly this one volume mount at `/workspace` (see `sandbox_floor.ts`): a spec cannot
 * name a volume, so no run can mount another run's workspace. It is removed with its sandbox;
 * what must outlive the sandbox is a snapshot (`workspace_snapshot.ts`).
 *
 * @example
 * ```ts
 * import { workspaceMount, workspaceSizeBytes } from "./workspace_volume.ts";
 * console.assert(workspaceMount("zu-ws-x").Target === "/workspace");
 * console.assert(workspaceSizeBytes(true) === 256 * 1024 * 1024);
 * ```
 * @module
 */
import type { DockerClient } from "./docker_client.ts";
import type { SandboxSpec, WorkspaceSpec } from "../../core/types.ts";

/** Where the workspace is mounted in every sandbox. */
export const WORKSPACE_PATH = "/workspace";
/** Label on workspace volumes. */
export const WORKSPACE_LABEL = "zu.workspace";
/** Name prefix of workspace volumes. */
export const WORKSPACE_VOLUME_PREFIX = "zu-ws-";
/** Default size cap (bytes). */
export const DEFAULT_WORKSPACE_BYTES: number = 256 * 1024 * 1024;
/** Largest size cap (bytes). */
export const MAX_WORKSPACE_BYTES: number = 1024 * 1024 * 1024;

/** The mount the floor admits for a workspace volume (Docker `HostConfig.Mounts` entry). */
export interface WorkspaceMount {
  /** Always `volume`. */
  Type: "volume";
  /** The volume name. */
  Source: string;
  /** Always {@link WORKSPACE_PATH}. */
  Target: string;
  /** Always false. */
  ReadOnly: false;
  /** The image's files are never copied into it. */
  VolumeOptions: { NoCopy: true };
}

/** The size cap a spec's `workspace` asks for, clamped; 0 when it asks for none. */
export function workspaceSizeBytes(workspace: SandboxSpec["workspace"]): number {
  if (workspace === undefined || workspace === false) return 0;
  const asked = workspace === true ? undefined : (workspace as WorkspaceSpec).sizeBytes;
  const size = asked === undefined || !Number.isFinite(asked) || asked <= 0
    ? DEFAULT_WORKSPACE_BYTES
    : asked;
  return Math.floor(Math.max(1024 * 1024, Math.min(MAX_WORKSPACE_BYTES, size)));
}

/** Whether a spec's `workspace` field is well formed (`true`, `false` or `{ sizeBytes? }`). */
export function isWorkspaceField(v: unknown): boolean {
  if (typeof v === "boolean") return true;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return Object.entries(v).every(([k, x]) =>
    k === "sizeBytes" && (x === undefined || typeof x === "number")
  );
}

/** The one mount of a workspace volume. */
export function workspaceMount(volume: string): WorkspaceMount {
  return {
    Type: "volume",
    Source: volume,
    Target: WORKSPACE_PATH,
    ReadOnly: false,
    VolumeOptions: { NoCopy: true },
  };
}

/** A fresh random volume name for a sandbox of `runId`. */
export function workspaceVolumeName(runId: string): string {
  const safe = runId.toLowerCase().replace(/[^a-z0-9_.-]/g, "-").slice(0, 24) || "run";
  return `${WORKSPACE_VOLUME_PREFIX}${safe}-${
    crypto.randomUUID().replaceAll("-", "").slice(0, 12)
  }`;
}

/** The tmpfs options of a workspace of `sizeBytes`. */
export function workspaceTmpfsOptions(sizeBytes: number): string {
  return `size=${sizeBytes},uid=10001,gid=10001,mode=0700,nosuid,nodev,noexec`;
}

/**
 * Creates the workspace volume of one sandbox (labelled; refuses an existing name, so a
 * volume is never shared).
 */
export async function createWorkspaceVolume(
  docker: DockerClient,
  options: { name: string; sizeBytes: number; labels: Record<string, string>; sandbox: string },
): Promise<void> {
  const existing = await docker.getVolume(options.name).inspect().catch(() => null);
  if (existing) throw new Error(`Workspace volume "${options.name}" already exists`);
  await docker.createVolume({
    Name: options.name,
    Driver: "local",
    DriverOpts: { type: "tmpfs", device: "tmpfs", o: workspaceTmpfsOptions(options.sizeBytes) },
    Labels: { ...options.labels, [WORKSPACE_LABEL]: "1", "zu.sandbox": options.sandbox },
  });
}

/** Removes a workspace volume; a missing one is fine. */
export async function removeWorkspaceVolume(docker: DockerClient, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove({ force: true });
  } catch (error) {
    const status = (error as { statusCode?: number } | null)?.statusCode;
    if (status !== 404) throw error;
  }
}
