import assert from "node:assert/strict";
import { UserError, ZuError } from "../../core/errors.ts";
import { dockerTest } from "../../testing/docker.ts";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { ImagePolicyError } from "./image_policy.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { SnapshotStore } from "./snapshot_store.ts";

attackTest("LocalDockerBackend separates stdout and stderr and reads the exit code", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage(), runId: testRunId("exec") });
  const r = await backend.execEntrypoint(box, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.timedOut, false);
  assert.equal(r.truncated, false);
  assert.ok(r.durationMs >= 0);
});

attackTest("LocalDockerBackend feeds stdin and passes the exec environment", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage(), env: { FROM_SPEC: "s" } });
  const r = await backend.execEntrypoint(box, ["sh", "-c", 'wc -c; echo "$FROM_SPEC$FROM_EXEC"'], {
    stdin: "x".repeat(100_000),
    env: { FROM_EXEC: "e" },
  });
  assert.equal(r.stdout, "100000\nse\n");
});

attackTest("LocalDockerBackend caps each stream and says it truncated", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await backend.execEntrypoint(
    box,
    ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero | tr '\\0' b >&2"],
    { maxOutputBytes: 1000 },
  );
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, "a".repeat(1000));
  assert.equal(r.stderr, "b".repeat(1000));
  assert.equal(r.truncated, true);
});

attackTest(
  "LocalDockerBackend runs a tool call as JSON in and one JSON observation out",
  async () => {
    await using backend = new LocalDockerBackend({
      toolCommand: ["sh", "-c", 'read -r line; echo "noise"; echo "{\\"got\\":$line}"'],
    });
    await using box = await backend.launch({ image: await attackImage() });
    const obs = await backend.exec(box, { name: "echo", args: { q: 1 } });
    assert.deepEqual(obs, { got: { name: "echo", args: { q: 1 } } });
    await using bad = new LocalDockerBackend({ toolCommand: ["sh", "-c", "echo nope; exit 0"] });
    const box2 = await bad.launch({ image: await attackImage() });
    assert.deepEqual(await bad.exec(box2, { name: "x", args: {} }), {
      status: 500,
      error: "tool produced non-JSON output",
      raw: "nope\n",
    });
    await using failing = new LocalDockerBackend({
      toolCommand: ["sh", "-c", "echo boom >&2; exit 4"],
    });
    const box3 = await failing.launch({ image: await attackImage() });
    assert.deepEqual(await failing.exec(box3, { name: "x", args: {} }), {
      status: 500,
      error: "tool failed (exit 4): boom\n",
    });
  },
);

attackTest("LocalDockerBackend speaks JSON lines over an attached session", async () => {
  await using backend = new LocalDockerBackend({
    sessionCommand: ["sh", "-c", 'while read -r line; do echo "{\\"echo\\":$line}"; done'],
  });
  await using session = await backend.openSession({
    image: await attackImage(),
    runId: testRunId("sess"),
  });
  assert.deepEqual(await session.send({ op: "a" }), { echo: { op: "a" } });
  const [b, c] = await Promise.all([session.send({ op: "b" }), session.send({ op: "c" })]);
  assert.deepEqual([b, c], [{ echo: { op: "b" } }, { echo: { op: "c" } }]);
  await session.close();
  assert.equal(backend.live().length, 0);
  assert.deepEqual(await session.send({ op: "d" }), { error: "session closed or no response" });
});

attackTest(
  "LocalDockerBackend snapshots the workspace (no docker commit) and restores under the same floor",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu_snap_test_" });
    await using backend = new LocalDockerBackend({ snapshotStore: new SnapshotStore(dir) });
    const runId = testRunId("snap");
    const spec = { image: await attackImage(), runId, workspace: true };
    const images = async () => (await (await backend.client()).listImages()).length;
    const before = await images();
    try {
      await using box = await backend.launch(spec);
      await backend.execEntrypoint(box, ["sh", "-c", "echo kept > /workspace/m"]);
      assert.equal(backend.supportsSnapshots(), true);
      const snap = await backend.snapshot(box);
      assert.match(snap, /^snap_/);
      assert.equal(await images(), before);
      await using restored = await backend.restore(snap, spec);
      const r = await backend.execEntrypoint(restored, [
        "sh",
        "-c",
        "id -u; cat /workspace/m; touch /x 2>&1; true",
      ]);
      assert.match(r.stdout, /^10001\nkept\n.*Read-only file system/s);
    } finally {
      await backend[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

attackTest(
  "LocalDockerBackend creates an isolated sandbox directly on a labelled internal network",
  async () => {
    await using backend = new LocalDockerBackend();
    const runId = testRunId("iso");
    const box = await backend.launch({ image: await attackImage(), runId, network: "isolated" });
    const docker = await backend.client();
    const info = await docker.getContainer(box.id).inspect();
    const nets = Object.keys(info.NetworkSettings.Networks);
    assert.equal(nets.length, 1);
    const net = await docker.getNetwork(nets[0]!).inspect() as {
      Internal: boolean;
      Labels: Record<string, string>;
    };
    assert.equal(net.Internal, true);
    assert.equal(net.Labels["zu.managed"], "1");
    assert.equal(net.Labels["zu.run"], runId);
    assert.equal(info.HostConfig.NetworkMode, nets[0]);
    await backend.destroy(box);
    await backend.destroy(box); // idempotent
    await assert.rejects(
      docker.getNetwork(nets[0]!).inspect(),
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
  },
);

attackTest("LocalDockerBackend refuses a named network that is not internal", async () => {
  await using backend = new LocalDockerBackend();
  const docker = await backend.client();
  const name = testRunId("zu-test-open");
  await docker.createNetwork({ Name: name, Internal: false, Labels: { "zu.test": "1" } });
  try {
    await assert.rejects(
      backend.launch({ image: await attackImage(), network: "isolated", networkName: name }),
      new RegExp(`network "${name}" is not internal`),
    );
  } finally {
    await docker.getNetwork(name).remove();
  }
});

attackTest(
  "LocalDockerBackend allows unrestricted egress only with the opt-in and logs it",
  async () => {
    const logged: string[] = [];
    await using backend = new LocalDockerBackend({
      logger: (level, message) => logged.push(`${level}: ${message}`),
    });
    await assert.rejects(
      backend.launch({ image: await attackImage(), network: "unrestricted" }),
      /network "unrestricted" needs allowUnrestrictedEgress: true/,
    );
    assert.equal(logged.length, 0);
    await using box = await backend.launch({
      image: await attackImage(),
      network: "unrestricted",
      allowUnrestrictedEgress: true,
    });
    assert.deepEqual(logged, ["warn: sandbox launched with unrestricted egress"]);
    const info = await (await backend.client()).getContainer(box.id).inspect();
    assert.deepEqual(info.HostConfig.CapDrop, ["ALL"]);
  },
);

attackTest("LocalDockerBackend puts the hardening floor on the container it creates", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({
    image: await attackImage(),
    runId: testRunId("floor"),
    pidsLimit: 9999,
    memoryBytes: 8 * 1024 ** 3,
  });
  const info = await (await backend.client()).getContainer(box.id).inspect();
  const h = info.HostConfig;
  assert.deepEqual(h.CapDrop, ["ALL"]);
  assert.equal(h.PidsLimit, 256);
  assert.equal(h.Memory, 1024 ** 3);
  assert.equal(h.MemorySwap, 1024 ** 3);
  assert.ok((h.NanoCpus ?? 0) > 0);
  assert.equal(h.ReadonlyRootfs, true);
  assert.equal(h.NetworkMode, "none");
  assert.ok(h.SecurityOpt?.includes("no-new-privileges"));
  assert.ok(h.SecurityOpt?.some((o: string) => o.startsWith("seccomp={")));
  assert.equal(info.Config.User, "10001:10001");
  assert.equal(info.Config.Labels["zu.managed"], "1");
  assert.equal(info.Config.Labels["zu.pid"], String(Deno.pid));
  const r = await backend.execEntrypoint(box, [
    "sh",
    "-c",
    "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status",
  ]);
  assert.equal(r.stdout, "CapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n");
});

attackTest(
  "LocalDockerBackend says in one line that an image is missing or not allowed",
  async () => {
    await using backend = new LocalDockerBackend();
    await assert.rejects(
      backend.launch({ image: "zu-no-such-image:0" }),
      (e: unknown) =>
        e instanceof ZuError && e.code === "image_missing" &&
        e.message ===
          'Cannot start sandbox: image "zu-no-such-image:0" is not present locally; run "zu sandbox image build"',
    );
    await assert.rejects(backend.launch({ image: "ghcr.io/k3-mt/zu:v1" }), ImagePolicyError);
    await using pinned = new LocalDockerBackend({
      imagePolicy: {
        allowRegistries: ["local"],
        pins: { [await attackImage()]: `sha256:${"0".repeat(64)}` },
      },
    });
    await assert.rejects(pinned.launch({ image: await attackImage() }), /not the pinned/);
  },
);

dockerTest("LocalDockerBackend says in one line that the daemon is not reachable", async () => {
  await using backend = new LocalDockerBackend({ socketPath: "/nonexistent/docker.sock" });
  await assert.rejects(
    backend.launch({ image: "zu-attack:0" }),
    (e: unknown) =>
      e instanceof UserError && e.code === "docker_unavailable" &&
      e.message.startsWith(
        'Cannot start sandbox: no Docker daemon answers at "/nonexistent/docker.sock"; start it ("sudo dockerd &"',
      ),
  );
});

attackTest("LocalDockerBackend never lets a spec turn seccomp off", async () => {
  await using backend = new LocalDockerBackend();
  await assert.rejects(
    backend.launch({ image: await attackImage(), seccomp: "unconfined" }),
    /seccomp profile "unconfined" \(only the shipped "block" or "default"\) would loosen/,
  );
  assert.equal(backend.live().length, 0);
});

attackTest(
  "LocalDockerBackend reports processes, filesystem changes and mounts from outside",
  async () => {
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: await attackImage() });
    await backend.execEntrypoint(box, ["sh", "-c", "echo x > /tmp/seen; (sleep 120 &) ; true"]);
    const procs = await backend.top(box);
    assert.ok(procs.some((p) => /sleep 120/.test(p.cmd)), JSON.stringify(procs));
    assert.ok(procs.every((p) => /^\d+$/.test(p.pid)));
    assert.deepEqual(await backend.mounts(box), []);
    // The root is read-only and /tmp is a tmpfs: the image layer shows no change at all.
    assert.deepEqual(await backend.fsDiff(box), []);
  },
);

attackTest("LocalDockerBackend cancels an exec on abort by killing its sandbox", async () => {
  await using backend = new LocalDockerBackend();
  const box = await backend.launch({ image: await attackImage() });
  const controller = new AbortController();
  // The exec's own timeout is far beyond the bound below, so only the abort can end it in time
  // (generous for a loaded host).
  const pending = backend.execEntrypoint(box, ["sh", "-c", "echo started; sleep 3600"], {
    signal: controller.signal,
    timeoutMs: 1_800_000,
  });
  const started = performance.now();
  queueMicrotask(() => controller.abort(new DOMException("stop", "AbortError")));
  await assert.rejects(
    pending,
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
  assert.ok(performance.now() - started < 600_000);
  const info = await (await backend.client()).getContainer(box.id).inspect();
  assert.equal(info.State.Running, false);
  await assert.rejects(backend.execEntrypoint(box, ["true"]), /was cancelled; launch a new one/);
  await backend.destroy(box);
});
