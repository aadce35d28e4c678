import assert from "node:assert/strict";
import { RunFailure } from "../../core/errors.ts";
import type { ExecSession, SandboxHandle } from "../../core/types.ts";
import { attackImage, attackTest } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { listPoolMembers } from "./pool_members.ts";
import { reapLeaked } from "./reaper.ts";
import { WarmPool } from "./warm_pool.ts";

async function alive(backend: LocalDockerBackend, id: string): Promise<boolean> {
  const docker = await backend.client();
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch {
    return false;
  }
}

attackTest(
  "WarmPool hands each member out once under 100 concurrent claims and refuses the rest",
  async () => {
    await using backend = new LocalDockerBackend();
    await using pool = new WarmPool(backend, { image: await attackImage() }, {
      size: 10,
      onEmpty: "refuse",
      refillConcurrency: 2,
      openSession: null,
    });
    await pool.start();
    assert.equal(pool.stats().ready, 10);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => pool.claim(`run-${i}`)),
    );
    const won = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
    const lost = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
    assert.equal(won.length, 10);
    assert.equal(new Set(won.map((c) => c.handle.id)).size, 10);
    assert.ok(won.every((c) => c.warm));
    assert.equal(lost.length, 90);
    assert.ok(lost.every((e) => e instanceof RunFailure && e.code === "pool_empty"));
    // Claimed members are named claimed by the daemon and are not ready any more.
    const members = await listPoolMembers(await backend.client(), pool.key);
    const claimed = members.filter((m) => m.state === "claimed").map((m) => m.id).sort();
    assert.deepEqual(claimed, won.map((c) => c.handle.id).sort());
    for (const c of won) assert.ok(!pool.readyMembers().some((h) => h.id === c.handle.id));
    await Promise.all(won.map((c) => c.release()));
    for (const c of won) assert.equal(await alive(backend, c.handle.id), false);
  },
);

attackTest(
  "WarmPool launches cold when empty and never hands a claimed member out again",
  async () => {
    await using backend = new LocalDockerBackend();
    await using pool = new WarmPool(backend, { image: await attackImage() }, {
      size: 1,
      refillConcurrency: 1,
      openSession: null,
    });
    await pool.start();
    const [a, b] = await Promise.all([pool.claim("run-a"), pool.claim("run-b")]);
    assert.deepEqual([a!.warm, b!.warm].sort(), [false, true]);
    assert.notEqual(a!.handle.id, b!.handle.id);
    assert.equal(a!.handle.runId, "run-a");
    const seen = new Set([a!.handle.id, b!.handle.id]);
    await a!.release();
    await b!.release();
    await pool.start(); // waits for the refill
    for (let i = 0; i < 3; i++) {
      await using c = await pool.claim(`run-${i}`);
      assert.ok(!seen.has(c.handle.id), "a claimed member came back");
      seen.add(c.handle.id);
      await pool.start();
    }
    assert.equal(pool.stats().coldClaims, 1);
  },
);

attackTest("WarmPool gives run B nothing run A wrote", async () => {
  await using backend = new LocalDockerBackend();
  await using pool = new WarmPool(backend, { image: await attackImage() }, {
    size: 2,
    openSession: null,
  });
  await pool.start();
  const a = await pool.claim("run-a");
  const w = await backend.execEntrypoint(a.handle, ["sh", "-c", "echo secret-a > /tmp/marker"]);
  assert.equal(w.exitCode, 0);
  const seen = await backend.execEntrypoint(a.handle, ["cat", "/tmp/marker"]);
  assert.equal(seen.stdout, "secret-a\n");
  await a.release();
  await using b = await pool.claim("run-b");
  assert.notEqual(b.handle.id, a.handle.id);
  const r = await backend.execEntrypoint(b.handle, ["cat", "/tmp/marker"]);
  assert.notEqual(r.exitCode, 0);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /No such file/);
  // Nothing of run B was put in the container at create time: it was made for the pool.
  const info = await (await backend.client()).getContainer(b.handle.id).inspect();
  assert.equal(info.Config.Labels["zu.run"], `pool-${pool.key.slice(0, 12)}`);
  assert.equal(info.Config.Labels["zu.pool"], pool.key);
  assert.ok(
    !JSON.stringify(info.Config).includes("run-b"),
    "run B's id is in the container config",
  );
  assert.equal(info.Name, `/${b.handle.name}`);
  assert.match(b.handle.name, /^zu-claim-run-b-/);
  const ls = await backend.execEntrypoint(b.handle, ["ls", "-A", "/tmp"]);
  assert.equal(ls.exitCode, 0);
  assert.equal(ls.stdout, "");
  assert.equal(await alive(backend, a.handle.id), false);
});

attackTest("WarmPool keeps idle members paused: nothing runs in them until the claim", async () => {
  await using backend = new LocalDockerBackend();
  const ticker = "while :; do date +%s >> /tmp/ticks; sleep 0.1; done";
  await using pool = new WarmPool(backend, {
    image: await attackImage(),
    cmd: ["sh", "-c", ticker],
  }, { size: 1, pauseIdle: true, openSession: null });
  await pool.start();
  const pausedAt = Date.now();
  const docker = await backend.client();
  const [member] = await listPoolMembers(docker, pool.key);
  assert.equal(member?.paused, true);
  await assert.rejects(
    () => backend.execEntrypoint(pool.readyMembers()[0]!, ["true"]),
    (e: Error) => /not running|paused/i.test(e.message),
  );
  // The window during which a running ticker would write at least 20 lines.
  await new Promise((r) => setTimeout(r, 3000));
  const claimAt = Date.now();
  await using claim = await pool.claim("run-p");
  const r = await backend.execEntrypoint(claim.handle, ["cat", "/tmp/ticks"]);
  const ticks = r.stdout.trim().split("\n").map(Number);
  assert.ok(ticks.length >= 1, "the ticker never ran");
  const from = Math.floor(pausedAt / 1000) + 1;
  const to = Math.floor(claimAt / 1000) - 1;
  assert.ok(to >= from, "the pause window is too short to judge");
  const during = ticks.filter((t) => t >= from && t <= to);
  assert.deepEqual(during, [], "the paused member ran");
});

attackTest("WarmPool attaches a session ahead and hands it over with the claim", async () => {
  await using backend = new LocalDockerBackend();
  const opened: string[] = [];
  const closed: string[] = [];
  const opener = (h: SandboxHandle): Promise<ExecSession> => {
    opened.push(h.id);
    return Promise.resolve({
      sandboxId: h.id,
      alive: true,
      run: () => Promise.reject(new Error("not used")),
      readFile: () => Promise.reject(new Error("not used")),
      writeFile: () => Promise.reject(new Error("not used")),
      listDir: () => Promise.reject(new Error("not used")),
      close: () => {
        closed.push(h.id);
        return Promise.resolve();
      },
      [Symbol.asyncDispose]: () => Promise.resolve(),
    });
  };
  await using pool = new WarmPool(backend, { image: await attackImage() }, {
    size: 1,
    openSession: opener,
  });
  await pool.start();
  assert.equal(opened.length, 1);
  const claim = await pool.claim("run-s");
  assert.equal(claim.session?.sandboxId, claim.handle.id);
  await claim.release();
  assert.deepEqual(closed, [claim.handle.id]);
});

attackTest("WarmPool close() removes every member, ready and claimed", async () => {
  const backend = new LocalDockerBackend();
  const pool = new WarmPool(backend, { image: await attackImage() }, {
    size: 2,
    pauseIdle: true,
    openSession: null,
  });
  await pool.start();
  const key = pool.key;
  const claim = await pool.claim("run-c");
  const docker = await backend.client();
  assert.ok((await listPoolMembers(docker, key)).length >= 2);
  await pool.close();
  assert.deepEqual(await listPoolMembers(docker, key), []);
  assert.equal(await alive(backend, claim.handle.id), false);
  await assert.rejects(() => pool.claim("late"), TypeError);
});

attackTest("the reaper removes the pool members of an owner killed with -9", async () => {
  const image = await attackImage();
  const pool = new URL("./warm_pool.ts", import.meta.url).href;
  const backendUrl = new URL("./local_docker_backend.ts", import.meta.url).href;
  const code = `
    import { WarmPool } from "${pool}";
    import { LocalDockerBackend } from "${backendUrl}";
    const backend = new LocalDockerBackend();
    const p = new WarmPool(backend, { image: "${image}" }, { size: 3, pauseIdle: true, openSession: null });
    await p.start();
    await p.claim("child-a");
    await p.claim("child-b");
    await p.start();
    console.log(JSON.stringify({ key: p.key }));
    setTimeout(() => {}, 120_000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 90_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  let key = "";
  try {
    key = JSON.parse(text.split("\n")[0]!).key;
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
  await using backend = new LocalDockerBackend();
  const docker = await backend.client();
  const before = await listPoolMembers(docker, key);
  assert.equal(before.filter((m) => m.state === "claimed").length, 2);
  assert.equal(before.filter((m) => m.state === "ready" && m.paused).length, 3);
  const report = await reapLeaked(docker, { label: `zu.pool=${key}` });
  assert.equal(report.containers.length, 5);
  assert.deepEqual(await listPoolMembers(docker, key), []);
});

attackTest(
  "WarmPool skips a member another claimer renamed first and leaves it to them",
  async () => {
    await using backend = new LocalDockerBackend();
    const errors: unknown[] = [];
    await using pool = new WarmPool(backend, { image: await attackImage() }, {
      size: 2,
      onEmpty: "refuse",
      openSession: null,
      onError: (e) => errors.push(e),
    });
    await pool.start();
    const docker = await backend.client();
    const [first, second] = pool.readyMembers();
    // Another process claims the first member the same way: a rename through its ready name.
    await docker.getContainer(first!.name).rename({
      name: `zu-claim-other-${first!.id.slice(0, 8)}`,
    });
    await assert.rejects(
      () => docker.getContainer(first!.name).rename({ name: "zu-claim-late" }),
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
    const claim = await pool.claim("run-x");
    assert.equal(claim.handle.id, second!.id);
    assert.equal(
      await alive(backend, first!.id),
      true,
      "the other claimer's sandbox was destroyed",
    );
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof RunFailure && errors[0].code === "sandbox_gone");
    await claim.release();
    await backend.destroy(first!);
  },
);

attackTest(
  "WarmPool with markClaimed background hands out each member once and marks it",
  async () => {
    await using backend = new LocalDockerBackend();
    await using pool = new WarmPool(backend, { image: await attackImage() }, {
      size: 4,
      onEmpty: "refuse",
      openSession: null,
      markClaimed: "background",
    });
    await pool.start();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => pool.claim(`bg-${i}`)),
    );
    const won = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
    assert.equal(won.length, 4);
    assert.equal(new Set(won.map((c) => c.handle.id)).size, 4);
    const docker = await backend.client();
    const ids = won.map((c) => c.handle.id).sort();
    let claimed: string[] = [];
    for (let i = 0; i < 100 && claimed.join() !== ids.join(); i++) {
      claimed = (await listPoolMembers(docker, pool.key))
        .filter((m) => m.state === "claimed").map((m) => m.id).sort();
    }
    assert.deepEqual(claimed, ids);
    await Promise.all(won.map((c) => c.release()));
  },
);

attackTest(
  "WarmPool replaces a member idle longer than maxIdleMs instead of handing it out",
  async () => {
    await using backend = new LocalDockerBackend();
    let now = 1_000_000;
    await using pool = new WarmPool(backend, { image: await attackImage() }, {
      size: 1,
      maxIdleMs: 60_000,
      openSession: null,
      onEmpty: "refuse",
      now: () => now,
    });
    await pool.start();
    const [stale] = pool.readyMembers();
    now += 61_000;
    await assert.rejects(() => pool.claim("late"), (e) => e instanceof RunFailure);
    await pool.start(); // waits for the discard and the refill
    assert.equal(await alive(backend, stale!.id), false);
    await using fresh = await pool.claim("fresh");
    assert.notEqual(fresh.handle.id, stale!.id);
    assert.equal(fresh.warm, true);
  },
);
