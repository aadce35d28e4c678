/**
 * Where workspace snapshots live: a host directory (default `.zu/snapshots/`, or
 * `ZU_SNAPSHOT_DIR`), mode 0700, with one JSON manifest per snapshot (`snap_<uuid>.json`) and
 * content-addressed tar blobs (`blobs/<sha256>.tar`, shared by snapshots of identical bytes). A
 * blob is checked against its address on every read, so a tampered or torn blob is refused.
 * Manifests carry the owner labels of `managedLabels` (plus `zu.pinned=1` for snapshots meant to
 * outlive their process) and never the sandbox's environment.
 *
 * @example
 * ```ts
 * import { SnapshotStore } from "./snapshot_store.ts";
 * const store = new SnapshotStore(await Deno.makeTempDir());
 * console.assert((await store.list()).length === 0);
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { WorkspaceSnapshot } from "../../core/types.ts";
import { isLeaked, type ReapOptions } from "./reaper.ts";
import { sha256 } from "./workspace_tree.ts";

/** The default snapshot directory (relative to the working directory). */
export const DEFAULT_SNAPSHOT_DIR = ".zu/snapshots";

const ID = /^snap_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** The snapshot directory from the environment, else {@link DEFAULT_SNAPSHOT_DIR}. */
export function defaultSnapshotDir(): string {
  try {
    return Deno.env.get("ZU_SNAPSHOT_DIR") || DEFAULT_SNAPSHOT_DIR;
  } catch {
    return DEFAULT_SNAPSHOT_DIR;
  }
}

/** A new snapshot id. */
export function newSnapshotId(): string {
  return `snap_${crypto.randomUUID()}`;
}

function notFound(id: string): UserError {
  return new UserError(
    "snapshot_not_found",
    `Unknown snapshot "${id.slice(0, 80)}"; list them with "zu sandbox ls"`,
  );
}

/** Snapshots on the host: manifests and content-addressed blobs. */
export class SnapshotStore {
  /** The directory. */
  readonly dir: string;

  /** A store in `dir` (created on first write). */
  constructor(dir: string = defaultSnapshotDir()) {
    this.dir = dir;
  }

  #blob(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`Invalid snapshot digest "${digest.slice(0, 80)}"`);
    return `${this.dir}/blobs/${digest}.tar`;
  }

  async #writeAtomic(path: string, data: Uint8Array): Promise<void> {
    const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeFile(tmp, data, { mode: 0o600 });
    await Deno.rename(tmp, path);
  }

  /** Stores a tar and its manifest (`digest` is computed here, whatever `meta` says). */
  async put(
    tar: Uint8Array,
    meta: Omit<WorkspaceSnapshot, "digest" | "sizeBytes">,
  ): Promise<WorkspaceSnapshot> {
    if (!ID.test(meta.id)) throw new Error(`Invalid snapshot id "${meta.id.slice(0, 80)}"`);
    await Deno.mkdir(`${this.dir}/blobs`, { recursive: true, mode: 0o700 });
    const digest = await sha256(tar);
    const blob = this.#blob(digest);
    const have = await Deno.stat(blob).catch(() => null);
    if (!have || have.size !== tar.length) await this.#writeAtomic(blob, tar);
    const snap: WorkspaceSnapshot = { ...meta, digest, sizeBytes: tar.length };
    await this.#writeAtomic(
      `${this.dir}/${meta.id}.json`,
      new TextEncoder().encode(JSON.stringify(snap, null, 2) + "\n"),
    );
    return snap;
  }

  /** The manifest of `id`; an unknown id is a `snapshot_not_found` UserError. */
  async get(id: string): Promise<WorkspaceSnapshot> {
    if (!ID.test(id)) throw notFound(id);
    try {
      return JSON.parse(await Deno.readTextFile(`${this.dir}/${id}.json`)) as WorkspaceSnapshot;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(id);
      throw error;
    }
  }

  /** The tar of a snapshot, checked against its digest. */
  async read(snap: WorkspaceSnapshot): Promise<Uint8Array> {
    let tar: Uint8Array;
    try {
      tar = await Deno.readFile(this.#blob(snap.digest));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(snap.id);
      throw error;
    }
    if ((await sha256(tar)) !== snap.digest) {
      throw new UserError(
        "snapshot_not_found",
        `Snapshot "${snap.id}" is damaged (its blob does not match sha256 ${
          snap.digest.slice(0, 12)
        }…); remove it with "zu sandbox rm ${snap.id}"`,
      );
    }
    return tar;
  }

  /** Every snapshot, oldest first. */
  async list(): Promise<WorkspaceSnapshot[]> {
    const out: WorkspaceSnapshot[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) {
        const id = entry.name.replace(/\.json$/, "");
        if (!entry.isFile || !entry.name.endsWith(".json") || !ID.test(id)) continue;
        out.push(await this.get(id).catch(() => null) as WorkspaceSnapshot);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return out.filter(Boolean).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Removes a snapshot, and its blob when no other snapshot shares it. Unknown ids throw. */
  async remove(id: string): Promise<void> {
    const snap = await this.get(id);
    await Deno.remove(`${this.dir}/${id}.json`);
    const shared = (await this.list()).some((s) => s.digest === snap.digest);
    if (!shared) await Deno.remove(this.#blob(snap.digest)).catch(() => {});
  }

  /**
   * Removes leaked snapshots: owner dead (unless pinned), older than `olderThanMs`, or of `runId`
   * (see `reaper.ts`). Returns the ids removed.
   */
  async reap(options: ReapOptions = {}): Promise<string[]> {
    const removed: string[] = [];
    for (const snap of await this.list()) {
      const labels = { ...(snap.labels ?? {}) };
      // A pinned snapshot has no owner to outlive: judged like an ownerless thing (age, run).
      if (labels["zu.pinned"] === "1") delete labels["zu.pid"];
      const leaked = await isLeaked(labels, options);
      if (!leaked) continue;
      await this.remove(snap.id).catch(() => {});
      removed.push(snap.id);
    }
    return removed;
  }
}
