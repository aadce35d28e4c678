/**
 * The reaper: removes containers and networks that zu created (label `zu.managed=1`) and whose
 * owning run is gone.
 *
 * **How a dead owner is told.** Every container and network carries `zu.pid` (the host pid of
 * the process that created it), `zu.pidstart` (that process's start time, field 22 of
 * `/proc/<pid>/stat`) and the owner's identity from `owner.ts`: `zu.host` (machine id),
 * `zu.boot` (boot id), `zu.pidns` (pid namespace) and `zu.uid`. The reaper only judges owners it
 * can see:
 *
 * - another host, or another pid namespace of this boot (a zu in a container, another machine
 *   on the same daemon): unknown, kept;
 * - this host, an earlier boot: dead;
 * - this host, boot and pid namespace: dead when `/proc/<pid>/stat` is missing or shows another
 *   start time (the pid was reused); when it is missing, the owner is another user and `/proc`
 *   is mounted with `hidepid`, unknown, kept.
 *
 * Labels from before the owner identity (no `zu.boot`) are judged by pid and start time only.
 * `runId` and `olderThanMs` reap regardless of the owner.
 *
 * Things labelled `zu.managed=1` without `zu.pid` (made by code that does not use
 * `managedLabels` from `hardening.ts`) have no known owner: only `runId` or `olderThanMs` reap them.
 *
 * Workspace volumes (`zu.workspace=1`) carry their sandbox's labels and go with it. Workspace
 * snapshots are host files with the same labels in their manifest (`snapshot_store.ts`):
 * `LocalDockerBackend.reapLeaked` judges them with {@linkcode isLeaked}, except pinned ones
 * (taken from the CLI), which only `olderThanMs` or `runId` reap.
 *
 * @example
 * ```ts ignore
 * import Docker from "dockerode";
 * import { reapLeaked } from "./reaper.ts";
 * const report = await reapLeaked(new Docker(), { olderThanMs: 3_600_000 });
 * console.log(report.containers.length, "containers removed");
 * ```
 * @module
 */
import type { DockerClient } from "./docker_client.ts";
import { MANAGED_LABEL } from "./hardening.ts";
import { type OwnerIdentity, ownerIdentity, procHidesOthers } from "./owner.ts";

/** Options of {@linkcode reapLeaked}. */
export interface ReapOptions {
  /** Also reap things older than this, even if their owner looks alive. Default: never. */
  olderThanMs?: number;
  /** Reap only this run's things, alive or not. Default: every run whose owner is dead. */
  runId?: string;
  /** Owner liveness check. Default: {@linkcode ownerAlive} (`/proc`). */
  isOwnerAlive?: (pid: number, start: string) => Promise<boolean>;
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Only things that also carry this label (`key=value`). Default: every `zu.managed=1`. */
  label?: string;
  /** The reaper's own identity. Default {@linkcode ownerIdentity}. */
  self?: OwnerIdentity;
  /** Whether `/proc` hides other users' processes. Default {@linkcode procHidesOthers}. */
  hidesOthers?: () => boolean;
}

/** What was removed. */
export interface ReapReport {
  /** Container ids removed. */
  containers: string[];
  /** Network names removed. */
  networks: string[];
  /** Workspace volume names removed (after their containers). */
  volumes: string[];
  /** Workspace snapshot ids removed (by `LocalDockerBackend.reapLeaked`, from its snapshot store). */
  snapshots?: string[];
}

/** Start time of a process (field 22 of `/proc/<pid>/stat`), or null when there is none. */
export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return after[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the labelled owner still runs (same pid, same start time). */
export async function ownerAlive(pid: number, start: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = await processStartTime(pid);
  if (now === null) return false;
  return start === "" || start === now;
}

/**
 * Whether something with these labels is leaked under `options` (the rule above). Snapshot
 * manifests carry the same labels and are judged the same way.
 */
export async function isLeaked(
  labels: Record<string, string>,
  options: ReapOptions,
): Promise<boolean> {
  return await shouldReap(labels, options);
}

async function shouldReap(labels: Record<string, string>, options: ReapOptions): Promise<boolean> {
  if (labels[MANAGED_LABEL] !== "1") return false;
  if (options.runId !== undefined) return labels["zu.run"] === options.runId;
  const created = Number(labels["zu.created"] ?? "NaN");
  const now = (options.now ?? Date.now)();
  if (
    options.olderThanMs !== undefined && Number.isFinite(created) &&
    now - created > options.olderThanMs
  ) {
    return true;
  }
  // Without an owner label the owner is unknown: only runId or olderThanMs reap such things.
  if (labels["zu.pid"] === undefined) return false;
  const pid = Number(labels["zu.pid"]);
  const alive = options.isOwnerAlive ?? ownerAlive;
  const boot = labels["zu.boot"];
  if (boot === undefined) return !(await alive(pid, labels["zu.pidstart"] ?? ""));
  const me = options.self ?? ownerIdentity();
  const host = labels["zu.host"] ?? "";
  // An owner whose host cannot be told from this one is judged unknown unless it is this boot.
  if (host === "" || me.host === "" || host !== me.host) {
    if (boot === "" || boot !== me.boot) return false;
  } else if (boot !== me.boot) return boot !== "" && me.boot !== "";
  if ((labels["zu.pidns"] ?? "") !== me.pidns || me.pidns === "") return false;
  if (await alive(pid, labels["zu.pidstart"] ?? "")) return false;
  const otherUser = (labels["zu.uid"] ?? "") !== me.uid || me.uid === "";
  if (otherUser && (await processStartTime(pid)) === null) {
    return !(options.hidesOthers ?? procHidesOthers)();
  }
  return true;
}

function ignoreGone(error: unknown): void {
  const status = (error as { statusCode?: number } | null)?.statusCode;
  if (status !== 404 && status !== 409 && status !== 403) throw error;
}

/**
 * Removes leaked containers (force), then leaked networks and workspace volumes, labelled
 * `zu.managed=1`.
 *
 * @example
 * ```ts ignore
 * import Docker from "dockerode";
 * import { reapLeaked } from "./reaper.ts";
 * await reapLeaked(new Docker(), { runId: "run-42" });
 * ```
 */
export async function reapLeaked(
  docker: DockerClient,
  options: ReapOptions = {},
): Promise<ReapReport> {
  const report: ReapReport = { containers: [], networks: [], volumes: [] };
  const filters = JSON.stringify({
    label: [`${MANAGED_LABEL}=1`, ...(options.label !== undefined ? [options.label] : [])],
  });
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) {
    if (!(await shouldReap(c.Labels ?? {}, options))) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      report.containers.push(c.Id);
    } catch (error) {
      ignoreGone(error);
    }
  }
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) {
    if (!(await shouldReap(n.Labels ?? {}, options))) continue;
    try {
      await docker.getNetwork(n.Id).remove();
      report.networks.push(n.Name);
    } catch (error) {
      ignoreGone(error);
    }
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) {
    if (!(await shouldReap(v.Labels ?? {}, options))) continue;
    try {
      await docker.getVolume(v.Name).remove({ force: true });
      report.volumes.push(v.Name);
    } catch (error) {
      ignoreGone(error);
    }
  }
  return report;
}
