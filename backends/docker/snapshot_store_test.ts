import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import type { WorkspaceSnapshot } from "../../core/types.ts";
import { tarStream } from "./_tar.ts";
import { newSnapshotId, SnapshotStore } from "./snapshot_store.ts";
import { tarEntries, treeDigest } from "./workspace_tree.ts";

async function tar(files: Record<string, string>, mode = 0o644): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const entries = Object.entries(files).map(([path, text]) => ({
    type: "file" as const,
    path,
    mode,
    source: new TextEncoder().encode(text),
    uid: 10001,
    gid: 10001,
  }));
  for await (const p of tarStream([{ type: "dir", path: ".", mode: 0o700 }, ...entries])) {
    parts.push(p);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

function meta(labels: Record<string, string>, id = newSnapshotId()) {
  return {
    id,
    kind: "workspace" as const,
    treeDigest: "t",
    policyHash: "sha256:p",
    image: "img",
    parent: { runId: "r", sandbox: "s" },
    createdAt: new Date().toISOString(),
    labels,
  };
}

async function withStore(fn: (store: SnapshotStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(new SnapshotStore(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("treeDigest is equal for the same tree and differs on content, mode or a path", async () => {
  const a = await treeDigest(await tar({ "./m": "x", "./d/f": "y" }));
  assert.equal(a, await treeDigest(await tar({ "./d/f": "y", "./m": "x" })));
  assert.notEqual(a, await treeDigest(await tar({ "./m": "X", "./d/f": "y" })));
  assert.notEqual(a, await treeDigest(await tar({ "./m": "x", "./d/f": "y" }, 0o755)));
  assert.notEqual(a, await treeDigest(await tar({ "./m": "x", "./d/g": "y" })));
  const long = "./" + "n".repeat(150);
  assert.deepEqual(tarEntries(await tar({ [long]: "z" })).map((e) => e.path), [".", long.slice(2)]);
  const big = await tar({ "./m": "x".repeat(600) });
  assert.throws(() => tarEntries(big.subarray(0, 1024)), /Truncated/);
});

Deno.test("SnapshotStore stores content-addressed blobs, shares them, refuses unknown and damaged ones", async () => {
  await withStore(async (store) => {
    const bytes = await tar({ "./m": "hello" });
    const one = await store.put(bytes, meta({}));
    const two = await store.put(bytes, meta({}));
    assert.equal(one.digest, two.digest);
    assert.equal(one.sizeBytes, bytes.length);
    assert.deepEqual(await store.read(one), bytes);
    assert.deepEqual((await store.list()).map((s) => s.id).sort(), [one.id, two.id].sort());
    await store.remove(one.id);
    assert.deepEqual(await store.read(two), bytes); // the blob is still shared by two
    for (const id of [one.id, "snap_../../etc/passwd", "nope"]) {
      await assert.rejects(
        store.get(id),
        (e: unknown) => e instanceof UserError && e.code === "snapshot_not_found",
      );
    }
    await Deno.writeFile(`${store.dir}/blobs/${two.digest}.tar`, new Uint8Array(1024));
    await assert.rejects(store.read(two), /damaged/);
    await store.remove(two.id);
    assert.deepEqual([...Deno.readDirSync(`${store.dir}/blobs`)], []);
  });
});

Deno.test("SnapshotStore.reap takes snapshots of dead owners and old pinned ones, keeps the rest", async () => {
  await withStore(async (store) => {
    const owner = (pid: number, extra: Record<string, string> = {}) => ({
      "zu.managed": "1",
      "zu.run": "r",
      "zu.pid": String(pid),
      "zu.pidstart": "",
      "zu.created": String(Date.now() - 10_000),
      ...extra,
    });
    const bytes = await tar({ "./m": "x" });
    const put = (labels: Record<string, string>): Promise<WorkspaceSnapshot> =>
      store.put(bytes, meta(labels));
    const orphan = await put(owner(999_999_998));
    const live = await put(owner(Deno.pid));
    const pinned = await put(owner(999_999_999, { "zu.pinned": "1" }));
    assert.deepEqual(
      await store.reap({ isOwnerAlive: (pid) => Promise.resolve(pid === Deno.pid) }),
      [orphan.id],
    );
    assert.deepEqual(await store.reap({ olderThanMs: 60_000 }), []);
    assert.deepEqual(
      (await store.reap({ olderThanMs: 1_000 })).sort(),
      [live.id, pinned.id].sort(),
    );
    assert.deepEqual(await store.list(), []);
  });
});
