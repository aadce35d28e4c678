// Container attack tests on the real daemon: each shows that an escape or abuse attempt FAILS
// inside a sandbox launched by LocalDockerBackend (hardening floor + seccomp profile).
import assert from "node:assert/strict";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";

const SECCOMP_ONLY = ["ptrace_attach", "unshare_user", "clone_newuser", "keyctl", "add_key"];

async function probe(
  backend: LocalDockerBackend,
  box: Awaited<ReturnType<LocalDockerBackend["launch"]>>,
  names: string[],
): Promise<Record<string, string>> {
  const r = await backend.execEntrypoint(box, [
    "sh",
    "-c",
    names.map((n) => `zu-probe ${n}`).join("; "),
  ], {
    timeoutMs: 20_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  return Object.fromEntries(
    r.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]),
  );
}

async function sh(
  backend: LocalDockerBackend,
  box: Awaited<ReturnType<LocalDockerBackend["launch"]>>,
  script: string,
  timeoutMs = 20_000,
) {
  return await backend.execEntrypoint(box, ["sh", "-c", script], { timeoutMs });
}

for (const profile of ["default", "block"]) {
  attackTest(
    `the ${profile} seccomp profile is in force and answers EPERM where only seccomp stands`,
    async () => {
      await using backend = new LocalDockerBackend();
      await using box = await backend.launch({ image: await attackImage(), seccomp: profile });
      const status = await sh(backend, box, "grep -E '^Seccomp:' /proc/self/status");
      assert.equal(status.stdout, "Seccomp:\t2\n");
      const got = await probe(backend, box, SECCOMP_ONLY);
      for (const name of SECCOMP_ONLY) assert.equal(got[name], "EPERM", `${name}: ${got[name]}`);
    },
  );
}

attackTest(
  "the seccomp-only probes succeed without seccomp, so the EPERM above is seccomp's",
  async () => {
    // Control: same image, caps and user, but seccomp unconfined, created directly (not through the
    // backend, whose floor refuses "unconfined").
    await using backend = new LocalDockerBackend();
    const docker = await backend.client();
    const container = await docker.createContainer({
      Image: await attackImage(),
      User: "10001:10001",
      Labels: { "zu.managed": "1", "zu.run": testRunId("control"), "zu.pid": String(Deno.pid) },
      HostConfig: {
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges", "seccomp=unconfined"],
        NetworkMode: "none",
        ReadonlyRootfs: true,
        PidsLimit: 64,
      },
      Cmd: ["sh", "-c", SECCOMP_ONLY.map((n) => `zu-probe ${n}`).join("; ")],
    });
    try {
      await container.start();
      const waited = await container.wait();
      assert.equal(waited.StatusCode, 0);
      const logs = new TextDecoder().decode(
        (await container.logs({ stdout: true, stderr: false })) as unknown as Uint8Array,
      );
      for (const name of SECCOMP_ONLY) assert.match(logs, new RegExp(`${name} OK`));
    } finally {
      await container.remove({ force: true });
    }
  },
);

attackTest("unshare and nsenter cannot create or join namespaces", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(
    backend,
    box,
    "unshare -r id; echo rc=$?; nsenter -t 1 -n true; echo rc=$?; unshare -n true; echo rc=$?",
  );
  assert.doesNotMatch(r.stdout, /uid=0/);
  assert.equal(
    r.stdout.match(/rc=([0-9]+)/g)?.filter((s) => s !== "rc=0").length,
    3,
    r.stdout + r.stderr,
  );
  assert.match(r.stderr, /unshare.*Operation not permitted/);
  assert.match(r.stderr, /nsenter.*Operation not permitted/);
  const got = await probe(backend, box, [
    "unshare_user",
    "unshare_ns",
    "unshare_net",
    "clone_newuser",
    "setns",
  ]);
  assert.deepEqual(Object.values(got), ["EPERM", "EPERM", "EPERM", "EPERM", "EPERM"]);
});

attackTest("mount, umount, chroot and pivot_root are refused", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(
    backend,
    box,
    "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m; echo rc=$?; chroot /tmp true; echo rc=$?",
  );
  assert.match(r.stdout, /^rc=[1-9][0-9]*\nrc=[1-9][0-9]*\n$/, r.stdout + r.stderr);
  const got = await probe(backend, box, ["mount", "umount", "chroot", "pivot_root"]);
  assert.deepEqual(got, { mount: "EPERM", umount: "EPERM", chroot: "EPERM", pivot_root: "EPERM" });
});

attackTest("ptrace of another process is refused", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  assert.deepEqual(await probe(backend, box, ["ptrace_attach"]), { ptrace_attach: "EPERM" });
  assert.deepEqual(await probe(backend, box, ["ptrace_traceme"]), { ptrace_traceme: "EPERM" });
});

attackTest("raw sockets (ping) are refused", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(backend, box, "ping -c 1 -W 1 127.0.0.1; echo rc=$?");
  assert.match(r.stdout, /rc=[1-9]/);
  assert.match(r.stderr, /permission denied|Operation not permitted/i);
  assert.deepEqual(await probe(backend, box, ["raw_socket"]), { raw_socket: "EPERM" });
});

attackTest(
  "the root filesystem and /proc/sys cannot be written, /tmp is writable but noexec",
  async () => {
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: await attackImage() });
    const r = await sh(
      backend,
      box,
      "touch /pwned; echo rc=$?; echo x > /proc/sys/kernel/hostname; echo rc=$?; echo x > /bin/busybox; echo rc=$?; " +
        "cp /bin/busybox /tmp/bb && echo copied; /tmp/bb true; echo rc=$?",
    );
    assert.match(r.stdout, /^rc=1\nrc=[1-9]\nrc=[1-9]\ncopied\nrc=126\n$/, r.stdout + r.stderr);
    assert.match(r.stderr, /Read-only file system/);
    assert.deepEqual(await probe(backend, box, ["write_root", "write_proc_sys"]), {
      write_root: "EROFS",
      write_proc_sys: "EACCES",
    });
  },
);

attackTest("chown to root, setuid(0) and su do not escalate", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(
    backend,
    box,
    "touch /tmp/f; chown root /tmp/f; echo rc=$?; su -c id root </dev/null; echo rc=$?; id -u",
  );
  assert.match(r.stdout, /^rc=1\nrc=[1-9][0-9]*\n10001\n$/, r.stdout + r.stderr);
  const got = await probe(backend, box, ["setuid0", "chown_root", "uid"]);
  assert.equal(got.setuid0, "EPERM");
  assert.equal(got.chown_root, "EPERM");
  // zu-probe-suid is set-uid root (without no-new-privileges it runs with euid 0).
  const suid = await sh(backend, box, "ls -l /bin/zu-probe-suid; zu-probe-suid uid setuid0");
  assert.match(
    suid.stdout,
    /^-rwsr-xr-x\s+1 root\s+root .*\nuid 10001 euid 10001\nsetuid0 EPERM\n$/,
  );
});

attackTest("a fork bomb is bounded by the pids limit and the sandbox survives", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage(), pidsLimit: 32 });
  // The bomb runs in a subshell (ash exits when it cannot fork); the rest uses builtins only.
  const r = await sh(
    backend,
    box,
    "( i=0; while [ $i -lt 200 ]; do sleep 300 & i=$((i+1)); done ) 2>/tmp/err; echo sub=$?; " +
      "read max < /sys/fs/cgroup/pids/pids.max 2>/dev/null || read max < /sys/fs/cgroup/pids.max; " +
      "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; kill -9 -1; " +
      'echo max=$max; echo running=$n; read -r line < /tmp/err; echo "err=$line"',
    30_000,
  );
  assert.equal(r.timedOut, false);
  assert.match(r.stdout, /^sub=[1-9]\d*\nmax=32\n/, r.stdout + r.stderr);
  const running = Number(r.stdout.match(/running=(\d+)/)?.[1]);
  assert.ok(running > 1 && running <= 32, `running ${running}`);
  assert.match(r.stdout, /err=.*can't fork/);
  const alive = await sh(backend, box, "echo alive");
  assert.equal(alive.stdout, "alive\n");
});

attackTest("a memory bomb is OOM-killed at the memory limit", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({
    image: await attackImage(),
    memoryBytes: 32 * 1024 * 1024,
  });
  // `tail` buffers its whole input (no newline in /dev/zero): 300 MB against a 32 MiB limit.
  const r = await sh(backend, box, "head -c 300000000 /dev/zero | tail >/dev/null", 60_000);
  assert.equal(r.timedOut, false);
  assert.equal(r.exitCode, 137, r.stdout + r.stderr);
  const oom = await sh(
    backend,
    box,
    "cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null || cat /sys/fs/cgroup/memory.events",
  );
  const kills = Number(oom.stdout.match(/oom_kill (\d+)/)?.[1] ?? "0");
  assert.ok(kills >= 1, oom.stdout);
});

attackTest("a runaway exec is killed at its timeout and the sandbox with it", async () => {
  await using backend = new LocalDockerBackend();
  const box = await backend.launch({ image: await attackImage() });
  const started = performance.now();
  const r = await backend.execEntrypoint(box, ["sh", "-c", "while :; do :; done"], {
    timeoutMs: 1000,
  });
  const elapsed = performance.now() - started;
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, 137);
  // The loop never ends: finishing at all shows the kill; the bound is generous for a loaded host.
  assert.ok(elapsed < 120_000, `took ${elapsed} ms`);
  const info = await (await backend.client()).getContainer(box.id).inspect();
  assert.equal(info.State.Running, false);
  await assert.rejects(
    backend.execEntrypoint(box, ["true"]),
    /killed at its 1000 ms timeout; launch a new one/,
  );
  await backend.destroy(box);
});

attackTest("DNS lookups fail inside a sandbox with no network", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(
    backend,
    box,
    "ip -o addr | awk '{print $2}' | sort -u; nslookup example.com; echo rc=$?",
    20_000,
  );
  assert.equal(r.timedOut, false);
  assert.match(r.stdout, /^lo\n/);
  assert.doesNotMatch(r.stdout, /eth0/);
  assert.match(r.stdout, /rc=[1-9]/);
  assert.doesNotMatch(r.stdout, /Address: \d+\.\d+\.\d+\.\d+\n[\s\S]*rc/);
});

attackTest("a run killed with SIGKILL leaves sandboxes that one reapLeaked() removes", async () => {
  const runId = testRunId("killed");
  const image = await attackImage();
  const script = `
    import { LocalDockerBackend } from ${
    JSON.stringify(new URL("./local_docker_backend.ts", import.meta.url).href)
  };
    const b = new LocalDockerBackend();
    await b.launch({ image: ${JSON.stringify(image)}, runId: ${JSON.stringify(runId)} });
    await b.launch({ image: ${JSON.stringify(image)}, runId: ${
    JSON.stringify(runId)
  }, network: "isolated" });
    console.log("ready");
    setInterval(() => {}, 1000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (let i = 0; i < 1000 && !seen.includes("ready"); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  assert.match(seen, /ready/);
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();

  await using backend = new LocalDockerBackend();
  const docker = await backend.client();
  const filters = JSON.stringify({ label: ["zu.managed=1", `zu.run=${runId}`] });
  assert.equal((await docker.listContainers({ all: true, filters })).length, 2);
  assert.equal((await docker.listNetworks({ filters })).length, 1);
  // A live sandbox of this (alive) process must survive the reap.
  await using mine = await backend.launch({ image, runId: testRunId("alive") });
  const report = await backend.reapLeaked();
  assert.ok(report.containers.length >= 2);
  assert.equal((await docker.listContainers({ all: true, filters })).length, 0);
  assert.equal((await docker.listNetworks({ filters })).length, 0);
  assert.equal((await docker.getContainer(mine.id).inspect()).State.Running, true);
});

attackTest("the sandbox sees no docker socket, no host processes and no host disks", async () => {
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: await attackImage() });
  const r = await sh(
    backend,
    box,
    "ls /var/run/docker.sock /run/docker.sock 2>/dev/null; echo sock=$?; " +
      "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs=$n; " +
      "ls /dev | grep -E '^(sd|vd|nvme|xvd|mem$|kmem$)' ; echo disks=$?",
  );
  assert.match(r.stdout, /sock=[1-9]/);
  const procs = Number(r.stdout.match(/procs=(\d+)/)?.[1]);
  assert.ok(procs >= 2 && procs <= 5, r.stdout);
  assert.match(r.stdout, /disks=1\n$/);
});
