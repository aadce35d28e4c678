// The sandbox floor against the real daemon: every attempt a spec can make to loosen it is
// refused before anything is created, and what the spec may change is clamped on the container.
import assert from "node:assert/strict";
import type { SandboxSpec } from "../../core/types.ts";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { SandboxFloorError } from "./sandbox_floor.ts";

const ALLOW_ALL = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}';

attackTest(
  "LocalDockerBackend refuses every spec that would loosen the floor and creates nothing",
  async () => {
    const dir = await Deno.makeTempDir();
    const profilePath = `${dir}/allow_all.json`;
    await Deno.writeTextFile(profilePath, ALLOW_ALL);
    const runId = testRunId("loosen");
    const image = await attackImage();
    const attempts: Record<string, unknown>[] = [
      { seccomp: "unconfined" },
      { seccomp: profilePath },
      { seccomp: ALLOW_ALL },
      { privileged: true },
      { capAdd: ["SYS_ADMIN"] },
      { binds: ["/var/run/docker.sock:/var/run/docker.sock"] },
      { hostConfig: { PidMode: "host", NetworkMode: "host" } },
      { user: "0:0" },
      { network: "host" },
      { network: "isolated", networkName: "host" },
      { network: "isolated", networkName: "container:zu-anything" },
    ];
    await using backend = new LocalDockerBackend();
    try {
      for (const extra of attempts) {
        const spec = { image, runId, ...extra } as unknown as SandboxSpec;
        await assert.rejects(
          backend.launch(spec),
          (e: unknown) => e instanceof SandboxFloorError && !e.message.includes("\n"),
          JSON.stringify(extra),
        );
      }
      // The operator's default profile is held to the same rule.
      await using lax = new LocalDockerBackend({ seccomp: profilePath });
      await assert.rejects(lax.launch({ image, runId }), SandboxFloorError);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const docker = await backend.client();
    const filters = JSON.stringify({ label: [`zu.run=${runId}`] });
    assert.deepEqual(await docker.listContainers({ all: true, filters }), []);
    assert.deepEqual(await docker.listNetworks({ filters }), []);
    assert.equal(backend.live().length, 0);
  },
);

attackTest(
  "A sandbox asked for host-sized limits runs clamped, unprivileged and without capabilities",
  async () => {
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({
      image: await attackImage(),
      runId: testRunId("clamp"),
      pidsLimit: 0,
      memoryBytes: Number.MAX_SAFE_INTEGER,
      cpus: 1024,
      seccomp: "block",
    });
    const info = await (await backend.client()).getContainer(box.id).inspect();
    const h = info.HostConfig;
    assert.equal(h.PidsLimit, 256);
    assert.equal(h.Memory, 1024 ** 3);
    assert.ok((h.NanoCpus ?? 0) <= (navigator.hardwareConcurrency || 1) * 1e9);
    assert.equal(h.Privileged, false);
    assert.ok(!h.CapAdd || h.CapAdd.length === 0);
    assert.ok(!h.Binds || h.Binds.length === 0);
    assert.ok(!h.Devices || h.Devices.length === 0);
    assert.ok(!h.PidMode && !h.UTSMode && !h.UsernsMode);
    const r = await backend.execEntrypoint(box, [
      "sh",
      "-c",
      "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; " +
      "touch /x 2>/dev/null && echo root-writable; cp /bin/true /tmp/t && /tmp/t && echo tmp-exec; " +
      "ls /var/run/docker.sock 2>/dev/null && echo socket; true",
    ]);
    assert.equal(
      r.stdout,
      "10001\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n",
      r.stderr,
    );
  },
);
