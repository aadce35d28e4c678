// The persistent workspace and its snapshots against the real daemon: a marker survives snapshot
// and restore and a fork of three, byte for byte; forks are independent; a restored sandbox keeps
// the floor; a workspace volume is never mounted into another run; no env in a snapshot; the
// reaper takes what a run leaves.
import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import type { SandboxSpec } from "../../core/types.ts";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { hardenedCreateOptions } from "./hardening.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { checkSandboxFloor, SandboxFloorError, seccompJsonFor } from "./sandbox_floor.ts";
import { SnapshotStore } from "./snapshot_store.ts";
import { WORKSPACE_LABEL } from "./workspace_volume.ts";

async function withStore<T>(fn: (store: SnapshotStore) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "zu_snap_test_" });
  try {
    return await fn(new SnapshotStore(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MARKER = "sha256sum /workspace/m | cut -c1-64; " +
  "find /workspace -type f | sort | xargs sha256sum | sha256sum | cut -c1-64";

attackTest("a workspace marker survives snapshot, restore and a fork of three", async () => {
  await withStore(async (store) => {
    await using backend = new LocalDockerBackend({ snapshotStore: store });
    const image = await attackImage();
    const spec: SandboxSpec = { image, runId: testRunId("ws"), workspace: true };
    await using box = await backend.launch(spec);
    const write = await backend.execEntrypoint(box, [
      "sh",
      "-c",
      "head -c 65536 /dev/urandom > /workspace/m && mkdir -p /workspace/d/e && " +
      "echo deep > /workspace/d/e/f && ln -s m /workspace/link && " + MARKER,
    ]);
    assert.equal(write.exitCode, 0, write.stderr);
    const snap = await backend.snapshotWorkspace(box);
    assert.match(snap.id, /^snap_/);
    assert.equal(snap.kind, "workspace");
    assert.ok(snap.sizeBytes > 65536);
    const forks = await Promise.all([1, 2, 3].map(() => backend.restore(snap.id, spec)));
    try {
      for (const fork of forks) {
        assert.notEqual(fork.id, box.id);
        const r = await backend.execEntrypoint(fork, [
          "sh",
          "-c",
          MARKER + "; readlink /workspace/link",
        ]);
        assert.equal(r.stdout, write.stdout + "m\n", r.stderr);
        // The whole tree (modes, owners, links, contents) hashes the same.
        assert.equal((await backend.snapshotWorkspace(fork)).treeDigest, snap.treeDigest);
      }
      // Forks are independent: a write in one is seen in no other, nor in the source.
      await backend.execEntrypoint(forks[0]!, [
        "sh",
        "-c",
        "echo only-0 > /workspace/new; rm /workspace/d/e/f",
      ]);
      for (const other of [forks[1]!, forks[2]!, box]) {
        const r = await backend.execEntrypoint(other, [
          "sh",
          "-c",
          "cat /workspace/new 2>/dev/null; cat /workspace/d/e/f",
        ]);
        assert.equal(r.stdout, "deep\n");
      }
      // Each fork has its own volume.
      const docker = await backend.client();
      const volumes = new Set<string>();
      for (const b of [box, ...forks]) {
        volumes.add((await docker.getContainer(b.id).inspect()).Config.Labels[WORKSPACE_LABEL]!);
      }
      assert.equal(volumes.size, 4);
    } finally {
      for (const f of forks) await backend.destroy(f);
    }
  });
});

attackTest(
  "a restored sandbox keeps the floor, its workspace is noexec and owned by the user",
  async () => {
    await withStore(async (store) => {
      await using backend = new LocalDockerBackend({ snapshotStore: store });
      const spec: SandboxSpec = {
        image: await attackImage(),
        runId: testRunId("wsfloor"),
        workspace: true,
      };
      await using box = await backend.launch(spec);
      await backend.execEntrypoint(box, [
        "sh",
        "-c",
        "cp /bin/busybox /workspace/bb; chmod 755 /workspace/bb",
      ]);
      await using restored = await backend.restore(await backend.snapshot(box), spec);
      const r = await backend.execEntrypoint(restored, [
        "sh",
        "-c",
        "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; " +
        "touch /x 2>/dev/null && echo root-writable; /workspace/bb true 2>/dev/null && echo ws-exec; " +
        "grep -c ' /workspace ' /proc/mounts; grep ' /workspace ' /proc/mounts | grep -o noexec; " +
        "stat -c '%u %a' /workspace; ls /sys/class/net; true",
      ]);
      assert.equal(
        r.stdout,
        "10001\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n1\nnoexec\n10001 700\nlo\n",
        r.stderr,
      );
    });
  },
);

attackTest("a workspace volume is never mounted into another run", async () => {
  await withStore(async (store) => {
    await using backend = new LocalDockerBackend({ snapshotStore: store });
    const image = await attackImage();
    await using a = await backend.launch({ image, runId: testRunId("wsa"), workspace: true });
    await backend.execEntrypoint(a, ["sh", "-c", "echo secret-a > /workspace/a"]);
    const docker = await backend.client();
    const info = await docker.getContainer(a.id).inspect();
    const volA = info.Config.Labels[WORKSPACE_LABEL]!;
    const mountpoint = (info.Mounts ?? []).find((m) => m.Name === volA)!.Source;
    const runB = testRunId("wsb");
    // A spec cannot name a volume, a bind or a mount.
    for (
      const extra of [
        { workspace: volA },
        { workspace: { volume: volA } },
        { mounts: [{ Type: "volume", Source: volA, Target: "/workspace" }] },
        { binds: [`${mountpoint}:/workspace:ro`] },
      ]
    ) {
      await assert.rejects(
        backend.launch({ image, runId: runB, ...extra } as unknown as SandboxSpec),
        SandboxFloorError,
        JSON.stringify(extra),
      );
    }
    // Create options built by any path: another volume, a second mount, a bind of its data.
    const opts = hardenedCreateOptions({ image, workspace: true }, {
      name: "zu-b",
      runId: runB,
      seccompJson: seccompJsonFor("default"),
      networkMode: "none",
      ownerPid: 1,
      ownerStart: "",
      createdAt: 0,
      hostCpus: 1,
      workspaceVolume: "zu-ws-b",
    });
    const mount = (opts.HostConfig!.Mounts as unknown as Record<string, unknown>[])[0]!;
    const tries: Array<[Record<string, unknown>, string | undefined]> = [
      [{ Mounts: [{ ...mount, Source: volA }] }, "zu-ws-b"],
      [{ Mounts: [{ ...mount, Source: volA }] }, undefined],
      [{ Mounts: [mount, { ...mount, Source: volA, Target: "/other" }] }, "zu-ws-b"],
      [{ Mounts: [{ ...mount, ReadOnly: true, Target: "/workspace2" }] }, "zu-ws-b"],
      [{ Binds: [`${mountpoint}:/peek:ro`] }, "zu-ws-b"],
      [{ Binds: ["/var/lib/docker/volumes:/peek:ro"] }, "zu-ws-b"],
    ];
    for (const [host, vol] of tries) {
      const bad = { ...opts, HostConfig: { ...opts.HostConfig, ...host } };
      assert.throws(
        () => checkSandboxFloor(bad, { hostCpus: 1, ...(vol ? { workspaceVolume: vol } : {}) }),
        SandboxFloorError,
        JSON.stringify(host),
      );
    }
    // Another run's sandbox gets a fresh, empty workspace of its own.
    await using b = await backend.launch({ image, runId: runB, workspace: true });
    const r = await backend.execEntrypoint(b, ["sh", "-c", "ls -A /workspace; cat /proc/mounts"]);
    assert.ok(!r.stdout.includes("secret-a") && !r.stdout.startsWith("a\n"), r.stdout);
    const volB = (await docker.getContainer(b.id).inspect()).Config.Labels[WORKSPACE_LABEL];
    assert.notEqual(volB, volA);
  });
});

attackTest(
  "a snapshot holds no environment and a restore takes its env from the new spec",
  async () => {
    await withStore(async (store) => {
      await using backend = new LocalDockerBackend({ snapshotStore: store });
      const canary = `zu-canary-${crypto.randomUUID()}`;
      const image = await attackImage();
      await using box = await backend.launch({
        image,
        runId: testRunId("wsenv"),
        workspace: true,
        env: { ZU_CANARY: canary },
      });
      await backend.execEntrypoint(box, ["sh", "-c", "echo data > /workspace/f"]);
      const snap = await backend.snapshotWorkspace(box);
      for await (const e of Deno.readDir(store.dir)) {
        if (e.isFile) {
          assert.ok(!(await Deno.readTextFile(`${store.dir}/${e.name}`)).includes(canary));
        }
      }
      const blob = await store.read(snap);
      assert.ok(!new TextDecoder().decode(blob).includes(canary));
      await using restored = await backend.restore(snap.id, {
        image,
        workspace: true,
        env: { OTHER: "1" },
      });
      const r = await backend.execEntrypoint(restored, ["sh", "-c", "cat /workspace/f; env"]);
      assert.ok(r.stdout.startsWith("data\n") && r.stdout.includes("OTHER=1"));
      assert.ok(!r.stdout.includes(canary));
      const env = (await (await backend.client()).getContainer(restored.id).inspect()).Config.Env ??
        [];
      assert.ok(!env.some((e) => e.includes(canary)));
    });
  },
);

attackTest(
  "restore refuses another policy without the override, unknown ids and no-workspace sandboxes",
  async () => {
    await withStore(async (store) => {
      await using backend = new LocalDockerBackend({ snapshotStore: store });
      const image = await attackImage();
      const runId = testRunId("wspol");
      await using box = await backend.launch({ image, runId, workspace: true });
      const snap = await backend.snapshot(box);
      await assert.rejects(
        backend.restore(snap, { image, runId, workspace: true, memoryBytes: 64 * 1024 * 1024 }),
        (e: unknown) => e instanceof UserError && e.code === "snapshot_policy",
      );
      await assert.rejects(
        backend.restore(snap, { image, runId, workspace: true, seccomp: "block" }),
        (e: unknown) => e instanceof UserError && e.code === "snapshot_policy",
      );
      await using loose = await backend.restore(
        snap,
        { image, runId, workspace: true, memoryBytes: 64 * 1024 * 1024 },
        { allowPolicyChange: true },
      );
      assert.equal((await backend.execEntrypoint(loose, ["id", "-u"])).stdout, "10001\n");
      await assert.rejects(
        backend.restore(`snap_${crypto.randomUUID()}`, { image }),
        (e: unknown) => e instanceof UserError && e.code === "snapshot_not_found",
      );
      await using bare = await backend.launch({ image, runId });
      await assert.rejects(
        backend.snapshot(bare),
        (e: unknown) => e instanceof UserError && e.code === "snapshot_unsupported",
      );
      await assert.rejects(
        backend.snapshotWorkspace("zu-no-such-sandbox"),
        (e: unknown) => e instanceof UserError && e.code === "sandbox_not_found",
      );
    });
  },
);

attackTest(
  "destroy removes the workspace volume; the reaper removes a leaked one and its snapshots",
  async () => {
    await withStore(async (store) => {
      const image = await attackImage();
      const docker = await new LocalDockerBackend().client();
      const volumesOf = async (runId: string) =>
        (await docker.listVolumes({ filters: JSON.stringify({ label: [`zu.run=${runId}`] }) }))
          .Volumes ?? [];
      const gone = testRunId("wsgone");
      {
        await using backend = new LocalDockerBackend({ snapshotStore: store });
        const box = await backend.launch({ image, runId: gone, workspace: true });
        assert.equal((await volumesOf(gone)).length, 1);
        await backend.destroy(box);
        assert.equal((await volumesOf(gone)).length, 0);
      }
      // A run that never cleaned up (its backend is simply dropped).
      const leaked = testRunId("wsleak");
      const first = new LocalDockerBackend({ snapshotStore: store });
      const box = await first.launch({ image, runId: leaked, workspace: true });
      const snap = await first.snapshot(box);
      assert.equal((await volumesOf(leaked)).length, 1);
      const reaper = new LocalDockerBackend({ snapshotStore: store });
      const report = await reaper.reapLeaked({ runId: leaked });
      assert.deepEqual(report.containers, [box.id]);
      assert.equal(report.volumes.length, 1);
      assert.deepEqual(report.snapshots, [snap]);
      assert.equal((await volumesOf(leaked)).length, 0);
      assert.deepEqual(await store.list(), []);
    });
  },
);

attackTest("a crafted snapshot cannot write outside the restored workspace", async () => {
  await withStore(async (store) => {
    await using backend = new LocalDockerBackend({ snapshotStore: store });
    const image = await attackImage();
    const { tarStream } = await import("./_tar.ts");
    const evil = new TextEncoder().encode("pwned\n");
    const attempts: Array<Parameters<typeof tarStream>[0]> = [
      [{ type: "file", path: "../tmp/evil", mode: 0o644, source: evil }],
      [
        { type: "symlink", path: "up", target: "/tmp" },
        { type: "file", path: "up/evil", mode: 0o644, source: evil },
      ],
      [
        { type: "symlink", path: "rel", target: "../../../../tmp" },
        { type: "file", path: "rel/evil", mode: 0o644, source: evil },
      ],
    ];
    const spec: SandboxSpec = { image, runId: testRunId("wsevil"), workspace: true };
    const { specPolicyHash } = await import("./workspace_snapshot.ts");
    const policy = await specPolicyHash(spec, seccompJsonFor("default"));
    for (const entries of attempts) {
      const parts: Uint8Array[] = [];
      for await (const p of tarStream(entries)) parts.push(p);
      const tar = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (tar.set(p, at), at + p.length), 0);
      const snap = await store.put(tar, {
        id: `snap_${crypto.randomUUID()}`,
        kind: "workspace",
        treeDigest: "",
        policyHash: policy,
        image,
        parent: { runId: "x", sandbox: "x" },
        createdAt: new Date().toISOString(),
        labels: {},
      });
      let box;
      try {
        box = await backend.restore(snap.id, spec);
      } catch (error) {
        assert.ok(
          error instanceof Error && /restore the workspace/.test(error.message),
          String(error),
        );
        continue;
      }
      // Extracted, if at all, inside the workspace only: /tmp of the sandbox is untouched.
      const r = await backend.execEntrypoint(box, [
        "sh",
        "-c",
        "ls -A /tmp; cat /tmp/evil 2>&1; true",
      ]);
      assert.ok(!r.stdout.includes("pwned"), r.stdout);
      await backend.destroy(box);
    }
    assert.equal(backend.live().length, 0);
    // Nor on the host.
    await assert.rejects(Deno.stat("/tmp/evil"), Deno.errors.NotFound);
  });
});
