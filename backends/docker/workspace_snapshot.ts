/**
 * Workspace snapshots through the Docker archive API: `snapshotWorkspace` tars a running
 * sandbox's `/workspace` (never its environment, its root or its config: `docker commit` would
 * copy `Config.Env`, secrets included, into the image), stores it content-addressed in a
 * {@link SnapshotStore} with the tree digest and the hash of the hardening policy it ran under;
 * `restoreWorkspace` puts it into a new sandbox's `/workspace`. `policyHash` is what restore
 * compares: a different floor needs an explicit override.
 *
 * @example
 * ```ts ignore
 * import { LocalDockerBackend } from "./local_docker_backend.ts";
 * await using backend = new LocalDockerBackend();
 * const box = await backend.launch({ image: "zu-attack:0.1.0", workspace: true, cmd: ["sleep", "600"] });
 * await backend.execEntrypoint(box, ["sh", "-c", "echo hi > /workspace/m"]);
 * const snap = await backend.snapshot(box);
 * await using fork = await backend.restore(snap, { image: "zu-attack:0.1.0", cmd: ["sleep", "600"] });
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { RunFailure, UserError } from "../../core/errors.ts";
import type { SandboxSpec, WorkspaceSnapshot } from "../../core/types.ts";
import type { DockerClient, DockerContainerCreateOptions } from "./docker_client.ts";
import { hardenedCreateOptions } from "./hardening.ts";
import { checkSandboxSpec, seccompJsonFor } from "./sandbox_floor.ts";
import { newSnapshotId, type SnapshotStore } from "./snapshot_store.ts";
import { sha256, treeDigest } from "./workspace_tree.ts";
import { WORKSPACE_LABEL, WORKSPACE_PATH, workspaceSizeBytes } from "./workspace_volume.ts";

/** Label holding a sandbox's {@link policyHash}. */
export const POLICY_LABEL = "zu.policy";

/**
 * The hash of the hardening policy of final create options: user, capabilities, security
 * options (seccomp included), limits, root, tmpfs, IPC, ulimits, the network mode's kind and
 * the workspace's size. Names that change per sandbox (container, network, volume) are left out.
 */
export async function policyHash(
  options: DockerContainerCreateOptions,
  spec: SandboxSpec,
): Promise<string> {
  const h = (options.HostConfig ?? {}) as Record<string, unknown>;
  const canonical = JSON.stringify([
    options.User,
    h.CapDrop,
    h.CapAdd ?? [],
    h.Privileged,
    h.SecurityOpt,
    h.PidsLimit,
    h.Memory,
    h.MemorySwap,
    h.NanoCpus,
    h.ReadonlyRootfs,
    h.Tmpfs,
    h.IpcMode ?? null,
    h.Ulimits ?? null,
    spec.network ?? "none",
    workspaceSizeBytes(spec.workspace),
  ]);
  return `sha256:${await sha256(new TextEncoder().encode(canonical))}`;
}

/** The {@link policyHash} a spec would launch under (no daemon involved). */
export async function specPolicyHash(spec: SandboxSpec, seccompJson: string): Promise<string> {
  const options = hardenedCreateOptions(spec, {
    name: "zu-policy-probe",
    runId: "",
    seccompJson,
    networkMode: "none",
    ownerPid: 0,
    ownerStart: "",
    createdAt: 0,
    hostCpus: navigator.hardwareConcurrency || 1,
    ...(workspaceSizeBytes(spec.workspace) > 0 ? { workspaceVolume: "zu-ws-probe" } : {}),
  });
  return await policyHash(options, spec);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What {@link snapshotWorkspace} needs besides the daemon and the store. */
export interface SnapshotContext {
  /** Labels of the snapshot's owner (`managedLabels` of the process taking it). */
  ownerLabels: Record<string, string>;
  /** Keep it after the owner exits (reaped by age only). Default false. */
  pinned?: boolean;
  /** The snapshot this sandbox was restored from, if known. */
  snapshotOf?: string | undefined;
}

/**
 * Captures the `/workspace` of a running zu sandbox (by id or name) into `store`. A sandbox
 * without a workspace is refused (`snapshot_unsupported`), an unknown one is `sandbox_not_found`.
 */
export async function snapshotWorkspace(
  docker: DockerClient,
  store: SnapshotStore,
  sandbox: string,
  ctx: SnapshotContext,
): Promise<WorkspaceSnapshot> {
  const container = docker.getContainer(sandbox);
  let info;
  try {
    info = await container.inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new UserError(
        "sandbox_not_found",
        `Cannot snapshot "${sandbox.slice(0, 80)}": no such sandbox`,
      );
    }
    throw error;
  }
  const labels = info.Config.Labels ?? {};
  const name = info.Name.replace(/^\//, "");
  const volume = labels[WORKSPACE_LABEL];
  const mounted = (info.Mounts ?? []).some((m) =>
    m.Type === "volume" && m.Name === volume && m.Destination === WORKSPACE_PATH
  );
  if (labels["zu.managed"] !== "1" || !volume || !mounted) {
    throw new UserError(
      "snapshot_unsupported",
      `Cannot snapshot "${name}": it is not a zu sandbox with a workspace (launch it with workspace: true)`,
    );
  }
  if (!info.State.Running) {
    throw new RunFailure(
      "sandbox_dead",
      `Cannot snapshot "${name}": it is not running (its workspace is gone)`,
    );
  }
  let tar: Uint8Array;
  try {
    tar = await collect(await container.getArchive({ path: `${WORKSPACE_PATH}/.` }));
  } catch (error) {
    throw new RunFailure("snapshot_failed", `Cannot snapshot "${name}": ${String(error)}`, {
      cause: error,
    });
  }
  const snapLabels = {
    ...ctx.ownerLabels,
    "zu.run": ctx.ownerLabels["zu.run"] || (labels["zu.run"] ?? ""),
    ...(ctx.pinned ? { "zu.pinned": "1" } : {}),
  };
  return await store.put(tar, {
    id: newSnapshotId(),
    kind: "workspace",
    treeDigest: await treeDigest(tar),
    policyHash: labels[POLICY_LABEL] ?? "",
    image: info.Config.Image,
    parent: {
      runId: labels["zu.run"] ?? "",
      sandbox: name,
      ...(ctx.snapshotOf ? { snapshotOf: ctx.snapshotOf } : {}),
    },
    createdAt: new Date().toISOString(),
    labels: snapLabels,
  });
}

/** Refuses a restore under another policy unless `allowPolicyChange`. */
export function checkRestorePolicy(
  snap: WorkspaceSnapshot,
  policy: string,
  allowPolicyChange: boolean,
): void {
  if (snap.policyHash === policy || allowPolicyChange) return;
  throw new UserError(
    "snapshot_policy",
    `Cannot restore "${snap.id}": it was taken under another hardening policy (${
      snap.policyHash.slice(7, 19) || "unknown"
    }, now ${
      policy.slice(7, 19)
    }); pass allowPolicyChange (--allow-policy-change) to restore anyway`,
  );
}

/**
 * Everything a restore checks before launching: the snapshot exists, its blob matches its
 * digest, the spec (with a workspace) passes the floor and runs under the snapshot's policy
 * (unless `allowPolicyChange`). Returns the manifest, the tar and the spec to launch.
 */
export async function prepareRestore(
  store: SnapshotStore,
  id: string,
  spec: SandboxSpec,
  options: { defaultSeccomp: string; allowPolicyChange: boolean },
): Promise<{ snap: WorkspaceSnapshot; tar: Uint8Array; full: SandboxSpec }> {
  const snap = await store.get(id);
  const tar = await store.read(snap);
  const full: SandboxSpec = { ...spec, workspace: spec.workspace || true };
  checkSandboxSpec(full);
  const seccomp = seccompJsonFor(full.seccomp ?? options.defaultSeccomp);
  checkRestorePolicy(snap, await specPolicyHash(full, seccomp), options.allowPolicyChange);
  return { snap, tar, full };
}

/** Puts a snapshot's tar into a running sandbox's `/workspace`. */
export async function restoreWorkspace(
  docker: DockerClient,
  containerId: string,
  tar: Uint8Array,
): Promise<void> {
  try {
    await docker.getContainer(containerId).putArchive(
      Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength) as never,
      {
        path: WORKSPACE_PATH,
      },
    );
  } catch (error) {
    throw new RunFailure("snapshot_failed", `Cannot restore the workspace: ${String(error)}`, {
      cause: error,
    });
  }
}
