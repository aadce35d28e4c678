// zu-session against the real daemon and real hardened sandboxes: stdin theft, output cap,
// binary files, concurrency, timeouts that kill the command's tree and not the sandbox, agent
// death, no listeners, the floor probes through the session equal to plain exec, and isolation
// between the sessions of two sandboxes. Images: see `_session_test_images.ts`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import {
  removeSessionImages,
  SESSION_RUNTIME_IMAGE,
  SESSION_SHELL_IMAGE,
  sessionImages,
} from "./_session_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { SessionLost } from "./session_client.ts";
import { attachExecSession } from "./exec_session.ts";
import { plainExecSession } from "./plain_exec_session.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const LIVE_SLEEPS =
  "for f in /proc/[0-9]*/stat; do cat $f 2>/dev/null; echo; done | grep '(sleep)' | grep -v ') Z ' | wc -l";

attackTest(
  "zu-session: stdin theft, cap, binary files, concurrency, timeout spares the sandbox",
  async () => {
    const { shell } = await sessionImages();
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: shell, runId: testRunId("sess") });
    const s = await backend.session(box);
    assert.equal(await backend.session(box), s, "one session per sandbox, reused");
    // Stdin theft: a command reading stdin gets end of file at once; the channel is untouched.
    for (const sh of ["cat", "read x; echo got=$x", "head -c 1 /dev/stdin"]) {
      const r = await s.run({ sh, timeoutMs: 5000 });
      assert.equal(r.timedOut, false, sh);
      assert.ok(!r.stdout.includes('t"'), sh);
    }
    assert.equal((await s.run({ sh: "cat", stdin: "given" })).stdout, "given");
    // Output cap: 50 MiB → 1 MiB kept, truncated, session still usable.
    const big = await s.run({ sh: "head -c 52428800 /dev/zero", maxOutputBytes: 1 << 20 });
    assert.equal(big.truncated, true);
    assert.equal(big.stdout.length, 1 << 20);
    assert.equal((await s.run({ argv: ["echo", "still"] })).stdout, "still\n");
    // Binary safety through write and read.
    for (const size of [16 * 1024, 3 * 1024 * 1024 + 7]) {
      const data = crypto.getRandomValues(new Uint8Array(size).subarray(0, Math.min(size, 65536)));
      const blob = new Uint8Array(size);
      for (let i = 0; i < size; i += data.length) blob.set(data.subarray(0, size - i), i);
      await s.writeFile(`/tmp/blob${size}`, blob);
      assert.equal(sha(await s.readFile(`/tmp/blob${size}`)), sha(blob));
    }
    const names = (await s.listDir("/tmp")).map((e) => e.name);
    assert.ok(names.includes("blob16384"));
    await assert.rejects(s.readFile("/tmp/blob16384", { maxBytes: 10 }), /too_large/);
    // Concurrency: 32 commands in flight, each gets its own output.
    const results = await Promise.all(
      Array.from(
        { length: 32 },
        (_, i) =>
          s.run({ sh: `echo out-$N; sleep 0.0$((N % 5)); echo err-$N >&2`, env: { N: String(i) } }),
      ),
    );
    results.forEach((r, i) => {
      assert.equal(r.stdout, `out-${i}\n`);
      assert.equal(r.stderr, `err-${i}\n`);
    });
    assert.equal((await s.run({ sh: "pwd", cwd: "/tmp" })).stdout, "/tmp\n");
    // execEntrypoint goes through the session: a timeout kills the command, not the sandbox.
    const slow = await backend.execEntrypoint(box, ["sleep", "30"], { timeoutMs: 300 });
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, 137);
    assert.equal((await backend.execEntrypoint(box, ["echo", "alive"])).stdout, "alive\n");
  },
);

attackTest("zu-session: a timeout or a cancel kills the command's whole tree", async () => {
  const { shell } = await sessionImages();
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: shell, runId: testRunId("sess-tree") });
  const s = await backend.session(box);
  // The image ships the zu-setsid helper; a command is the leader of its own session.
  assert.ok((await s.listDir("/usr/local/bin")).some((e) => e.name === "zu-setsid"));
  const own = (await s.run({ sh: 'set -- $(cat /proc/$$/stat); echo "$$ $6"' })).stdout.split(" ");
  assert.equal(own[1]?.trim(), own[0]);
  const r = await s.run({ sh: "sleep 1000 & sleep 1000", timeoutMs: 500 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, "SIGKILL");
  assert.equal((await s.run({ sh: LIVE_SLEEPS })).stdout.trim(), "0");
  const ctl = new AbortController();
  const running = s.run({ sh: "sleep 1000 & sleep 1000 & wait", signal: ctl.signal });
  await s.run({
    sh: "for i in 1 2 3 4 5 6 7 8 9 10; do [ $(" + LIVE_SLEEPS +
      ") -ge 2 ] && break; sleep 0.1; done",
  });
  ctl.abort();
  assert.equal((await running).timedOut, true);
  assert.equal((await s.run({ sh: LIVE_SLEEPS })).stdout.trim(), "0");
  assert.equal(s.alive, true);
});

attackTest(
  "zu-session: agent death fails calls in flight with SessionLost; the next opens anew",
  async () => {
    const { shell } = await sessionImages();
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: shell, runId: testRunId("sess-death") });
    const s = await backend.session(box) as Awaited<ReturnType<typeof backend.session>> & {
      agentPid: number;
    };
    const inFlight = s.run({ argv: ["sleep", "60"] });
    let lostAt = 0;
    const lost = assert.rejects(
      inFlight.finally(() => (lostAt = performance.now())),
      (e: unknown) => e instanceof SessionLost && e.code === "session_lost",
    );
    const t0 = performance.now();
    const killed = await backend.execEntrypoint(box, ["kill", "-9", String(s.agentPid)], {
      plainExec: true,
    });
    assert.equal(killed.exitCode, 0);
    await lost;
    assert.ok(lostAt - t0 < 5000, `lost after ${lostAt - t0} ms`);
    assert.equal(s.alive, false);
    await assert.rejects(s.run({ argv: ["true"] }), SessionLost);
    const again = await backend.session(box);
    assert.notEqual(again, s);
    assert.equal((await again.run({ argv: ["echo", "back"] })).stdout, "back\n");
    // The same over dockerode's hijacked stream instead of the raw socket connection.
    const docker = await backend.client();
    const viaStream = await attachExecSession(docker.getContainer(box.id), {
      transport: "dockerode",
    });
    const streamLost = assert.rejects(viaStream.run({ argv: ["sleep", "60"] }), SessionLost);
    assert.equal((await viaStream.run({ argv: ["echo", "stream"] })).stdout, "stream\n");
    await backend.execEntrypoint(box, ["kill", "-9", String(viaStream.agentPid)], {
      plainExec: true,
    });
    await streamLost;
    assert.equal(viaStream.alive, false);
  },
);

attackTest(
  "zu-session: no listener in the sandbox; probes answer as through plain exec",
  async () => {
    const { shell } = await sessionImages();
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: shell, runId: testRunId("sess-floor") });
    const s = await backend.session(box);
    for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
      const r = await s.run({ argv: ["cat", `/proc/net/${table}`] });
      const rows = r.stdout.trim().split("\n").slice(1).filter(Boolean);
      assert.deepEqual(rows, [], `/proc/net/${table}`);
    }
    // Unix sockets: only unnamed connected pairs (the runtime's own), no path, none listening.
    const unix = (await s.run({ argv: ["cat", "/proc/net/unix"] })).stdout.trim().split("\n");
    for (const row of unix.slice(1).filter(Boolean)) {
      const f = row.trim().split(/\s+/);
      assert.equal(f.length, 7, `a unix socket with a path: ${row}`);
      assert.notEqual(f[3], "00010000", `a listening unix socket: ${row}`);
    }
    const probes = [
      ["id"],
      ["sh", "-c", "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"],
      ["sh", "-c", "echo x > /rootfile; echo $?"],
      ["ls", "/sys/class/net"],
      // The same pid namespace: the same pid 1. (Not a process count: a command that has just
      // answered may still be exiting, so a count differs by timing, not by namespace.)
      ["sh", "-c", "cat /proc/1/cmdline >/dev/null; echo pid1=$?; cat /proc/1/comm"],
    ];
    for (const argv of probes) {
      const viaSession = await backend.execEntrypoint(box, argv);
      const viaExec = await backend.execEntrypoint(box, argv, { plainExec: true });
      assert.equal(viaSession.stdout, viaExec.stdout, argv.join(" "));
      assert.equal(viaSession.exitCode, viaExec.exitCode, argv.join(" "));
    }
    assert.match((await s.run({ argv: ["id", "-u"] })).stdout, /^10001\n$/);
    assert.match((await s.run({ sh: "grep CapEff /proc/self/status" })).stdout, /0000000000000000/);
    assert.equal((await s.run({ argv: ["ls", "/sys/class/net"] })).stdout.trim(), "lo");
  },
);

attackTest(
  "zu-session: a command in one sandbox cannot reach another sandbox's session",
  async () => {
    const { shell } = await sessionImages();
    await using backend = new LocalDockerBackend();
    await using a = await backend.launch({ image: shell, runId: testRunId("sess-a") });
    await using b = await backend.launch({ image: shell, runId: testRunId("sess-b") });
    const sa = await backend.session(a);
    const sb = await backend.session(b) as Awaited<ReturnType<typeof backend.session>> & {
      agentPid: number;
    };
    // A sees exactly one agent: its own (separate pid namespaces, no shared socket).
    const agents = await sa.run({
      sh: "grep -l session_agen[t] /proc/[0-9]*/cmdline 2>/dev/null | wc -l",
    });
    assert.equal(agents.stdout.trim(), "1");
    assert.equal(
      (await sa.run({ sh: "ls /tmp/*.sock /run 2>/dev/null | wc -l" })).stdout.trim(),
      "0",
    );
    // Killing "B's agent pid" from A can only hit A's own process of that number.
    await backend.execEntrypoint(a, ["kill", "-9", String(sb.agentPid)], { plainExec: true });
    assert.equal(sb.alive, true);
    assert.equal((await sb.run({ argv: ["echo", "b-ok"] })).stdout, "b-ok\n");
  },
);

attackTest(
  "zu-session: the shell-less runtime image runs it; an image without the agent falls back",
  async () => {
    const { runtime } = await sessionImages();
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image: runtime, runId: testRunId("sess-rt") });
    const s = await backend.session(box);
    const r = await s.run({ argv: ["deno", "eval", "console.log(Deno.uid())"], timeoutMs: 20_000 });
    assert.equal(r.stdout, "10001\n");
    const noShell = await s.run({ sh: "echo hi" });
    assert.equal(noShell.exitCode, 127);
    await using plain = await backend.launch({
      image: await attackImage(),
      runId: testRunId("sess-plain"),
    });
    await assert.rejects(backend.session(plain), /no zu-session agent/);
    assert.equal((await backend.execEntrypoint(plain, ["echo", "plain"])).stdout, "plain\n");
  },
);

attackTest("plainExecSession: the same answers as the session, over plain execs", async () => {
  const { shell } = await sessionImages();
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({ image: shell, runId: testRunId("sess-plainsess") });
  const viaSession = await backend.session(box);
  await using viaExec = plainExecSession(backend, box);
  const blob = crypto.getRandomValues(new Uint8Array(40_000));
  await viaExec.writeFile("/tmp/p.bin", blob);
  assert.equal(sha(await viaExec.readFile("/tmp/p.bin")), sha(blob));
  assert.equal(sha(await viaSession.readFile("/tmp/p.bin")), sha(blob));
  await viaSession.writeFile("/tmp/d one", new Uint8Array([1, 2, 3]));
  const sort = (xs: Array<{ name: string }>) =>
    [...xs].sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(sort(await viaExec.listDir("/tmp")), sort(await viaSession.listDir("/tmp")));
  for (
    const command of [{ sh: "pwd; echo e >&2; exit 3", cwd: "/tmp" }, { argv: ["cat"], stdin: "x" }]
  ) {
    const a = await viaSession.run(command);
    const b = await viaExec.run(command);
    assert.deepEqual([a.exitCode, a.stdout, a.stderr], [b.exitCode, b.stdout, b.stderr]);
  }
  await assert.rejects(viaExec.readFile("/tmp/p.bin", { maxBytes: 10 }), /more than 10/);
});

attackTest("zu-session tests: remove their images (ZU_KEEP_TEST_IMAGES=1 keeps them)", async () => {
  if (Deno.env.get("ZU_KEEP_TEST_IMAGES") === "1") return;
  await using backend = new LocalDockerBackend();
  const docker = await backend.client();
  await removeSessionImages(docker);
  for (const tag of [SESSION_SHELL_IMAGE, SESSION_RUNTIME_IMAGE]) {
    await assert.rejects(docker.getImage(tag).inspect(), tag);
  }
});
