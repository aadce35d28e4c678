/**
 * `zu sandbox snapshot | restore | ls | rm`: workspace snapshots from the command line. Snapshots
 * live in `.zu/snapshots/` (or `--dir`, or `ZU_SNAPSHOT_DIR`); the CLI's are pinned (kept after
 * the command exits, reaped by age only: `zu sandbox gc --older-than-ms`).
 *
 * @module
 */
import { resolve as resolvePath } from "node:path";
import { UserError } from "../core/errors.ts";
import type { SnapshotStore } from "../backends/docker/snapshot_store.ts";
import { bool, type CommandContext, type CommandDef, num, printJson, str } from "./_command.ts";

const dirFlag = {
  dir: {
    type: "string" as const,
    placeholder: "path",
    description: "Snapshot directory (default: $ZU_SNAPSHOT_DIR, else .zu/snapshots)",
  },
};

/** The snapshot store of a command: `--dir`, else `$ZU_SNAPSHOT_DIR`, else `.zu/snapshots`. */
export async function snapshotStoreAt(ctx: CommandContext): Promise<SnapshotStore> {
  return await store(ctx);
}

async function store(ctx: CommandContext): Promise<SnapshotStore> {
  const { SnapshotStore, defaultSnapshotDir } = await import(
    "../backends/docker/snapshot_store.ts"
  );
  return new SnapshotStore(resolvePath(ctx.io.cwd, str(ctx, "dir") ?? defaultSnapshotDir()));
}

async function backendFor(ctx: CommandContext) {
  const { requireDocker } = await import("./cmd_sandbox.ts");
  await requireDocker(ctx);
  const { daemonOptions } = await import("./_docker.ts");
  const { LocalDockerBackend } = await import("../backends/docker/mod.ts");
  return new LocalDockerBackend({ ...daemonOptions(ctx.io), snapshotStore: await store(ctx) });
}

const snapshot: CommandDef = {
  name: "snapshot",
  summary: "Snapshot the /workspace of a running sandbox (prints the snapshot id)",
  description:
    `Captures the sandbox's /workspace through the Docker archive API into a content-addressed
tar with a manifest (tree digest, hardening policy hash). Never its environment or its root
(read-only under the floor). The sandbox must have been launched with a workspace.`,
  positionals: [{ name: "sandbox", description: "Sandbox container name or id" }],
  flags: { ...dirFlag, json: { type: "boolean", description: "Print the manifest as JSON" } },
  examples: ["zu sandbox snapshot zu-run-1-0a1b2c3d4e"],
  run: async (ctx) => {
    await using backend = await backendFor(ctx);
    const snap = await backend.snapshotWorkspace(ctx.positionals[0]!, { pinned: true });
    if (bool(ctx, "json")) printJson(ctx.io, snap);
    else ctx.io.stdout(`${snap.id}\n`);
    return 0;
  },
};

const restore: CommandDef = {
  name: "restore",
  summary: "Start a new sandbox whose /workspace is the snapshot's; run a command in it",
  description:
    `The new sandbox gets the hardening floor and a fresh environment (nothing of the source's).
With a command after "--", it runs there (cwd /workspace), its output is printed, the sandbox is
removed and zu exits with the command's code. Without one, the sandbox keeps running and its name
is printed: "zu sandbox gc" removes it (its owner, this command, has exited).`,
  positionals: [{ name: "snapshot", description: "Snapshot id (see zu sandbox ls)" }],
  passthrough: { name: "cmd", description: "Command to run in the restored sandbox" },
  flags: {
    ...dirFlag,
    image: { type: "string", description: "Image to run (default: the snapshot's)" },
    "allow-policy-change": {
      type: "boolean",
      description: "Restore even if the hardening policy differs from the snapshot's",
    },
    "timeout-ms": {
      type: "number",
      description: "Kill the command after this many ms",
      default: 30000,
    },
    json: { type: "boolean", description: "Print JSON" },
  },
  examples: ["zu sandbox restore snap_0190… -- cat /workspace/notes.txt"],
  run: async (ctx) => {
    // Not disposed at the end: a sandbox restored without a command is meant to outlive zu.
    const backend = await backendFor(ctx);
    const snap = await backend.snapshotStore().get(ctx.positionals[0]!);
    const image = str(ctx, "image") ?? snap.image;
    const { imagePresent } = await import("./_docker.ts");
    if (!(await imagePresent(ctx.io, image))) {
      throw new UserError(
        "image_missing",
        `Cannot restore "${snap.id}": image "${image}" is not present locally (no registry is pulled)`,
      );
    }
    const handle = await backend.restore(
      snap.id,
      { image, runId: `zu-restore-${crypto.randomUUID().slice(0, 8)}`, workdir: "/workspace" },
      { allowPolicyChange: bool(ctx, "allow-policy-change") },
    );
    if (ctx.rest.length === 0) {
      const out = { snapshot: snap.id, sandbox: handle.name, id: handle.id };
      if (bool(ctx, "json")) printJson(ctx.io, out);
      else ctx.io.stdout(`${handle.name}\n`);
      return 0;
    }
    let r;
    try {
      r = await backend.execEntrypoint(handle, ctx.rest, {
        timeoutMs: num(ctx, "timeout-ms") ?? 30000,
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
    } finally {
      await backend.destroy(handle);
    }
    if (bool(ctx, "json")) printJson(ctx.io, { snapshot: snap.id, ...r });
    else {
      ctx.io.stdout(r.stdout);
      ctx.io.stderr(r.stderr);
    }
    return r.exitCode;
  },
};

const ls: CommandDef = {
  name: "ls",
  summary: "List workspace snapshots",
  flags: { ...dirFlag, json: { type: "boolean", description: "Print JSON" } },
  run: async (ctx) => {
    const snaps = await (await store(ctx)).list();
    if (bool(ctx, "json")) printJson(ctx.io, snaps);
    else {
      for (const s of snaps) {
        ctx.io.stdout(
          `${s.id}  ${s.createdAt}  ${String(s.sizeBytes).padStart(10)} B  tree ${
            s.treeDigest.slice(0, 12)
          }  ${s.image}  from ${s.parent.sandbox}\n`,
        );
      }
    }
    return 0;
  },
};

const rm: CommandDef = {
  name: "rm",
  summary: "Remove workspace snapshots",
  positionals: [{ name: "snapshot", description: "Snapshot ids", variadic: true }],
  flags: { ...dirFlag },
  run: async (ctx) => {
    const s = await store(ctx);
    for (const id of ctx.positionals) await s.get(id);
    for (const id of ctx.positionals) {
      await s.remove(id);
      ctx.io.stdout(`removed ${id}\n`);
    }
    return 0;
  },
};

/** The snapshot subcommands of `zu sandbox`. */
export const snapshotCommands: CommandDef[] = [snapshot, restore, ls, rm];
