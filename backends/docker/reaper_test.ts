import assert from "node:assert/strict";
import Docker from "dockerode";
import type Dockerode from "dockerode";
import { dockerSocketPath, dockerTest } from "../../testing/docker.ts";
import { managedLabels } from "./hardening.ts";
import { ownerAlive, processStartTime, reapLeaked } from "./reaper.ts";

function fakeDocker(
  containers: Array<{ Id: string; Labels: Record<string, string> }>,
  networks: Array<{ Id: string; Name: string; Labels: Record<string, string> }>,
  volumes: Array<{ Name: string; Labels: Record<string, string> }> = [],
) {
  const removed: string[] = [];
  const docker = {
    listContainers: () => Promise.resolve(containers),
    listNetworks: () => Promise.resolve(networks),
    listVolumes: () => Promise.resolve({ Volumes: volumes }),
    getVolume: (name: string) => ({ remove: () => (removed.push(`v:${name}`), Promise.resolve()) }),
    getContainer: (id: string) => ({ remove: () => (removed.push(`c:${id}`), Promise.resolve()) }),
    getNetwork: (id: string) => ({
      remove: () => {
        if (id === "busy") {
          return Promise.reject(Object.assign(new Error("in use"), { statusCode: 403 }));
        }
        removed.push(`n:${id}`);
        return Promise.resolve();
      },
    }),
  } as unknown as Dockerode;
  return { docker, removed };
}

const labels = (run: string, pid: number, created = 0) => ({
  "zu.managed": "1",
  "zu.run": run,
  "zu.pid": String(pid),
  "zu.pidstart": "",
  "zu.created": String(created),
});

Deno.test("reapLeaked removes what dead owners left and keeps what live owners hold", async () => {
  const { docker, removed } = fakeDocker(
    [
      { Id: "dead", Labels: labels("r1", 111) },
      { Id: "alive", Labels: labels("r2", 222) },
      { Id: "foreign", Labels: { "zu.run": "r1", "zu.pid": "111" } },
      { Id: "ownerless", Labels: { "zu.managed": "1", "zu.run": "r1" } },
    ],
    [{ Id: "n-dead", Name: "zu-net-r1", Labels: labels("r1", 111) }, {
      Id: "busy",
      Name: "zu-net-busy",
      Labels: labels("r3", 111),
    }],
  );
  const report = await reapLeaked(docker, { isOwnerAlive: (pid) => Promise.resolve(pid === 222) });
  assert.deepEqual(removed, ["c:dead", "n:n-dead"]);
  assert.deepEqual(report, { containers: ["dead"], networks: ["zu-net-r1"], volumes: [] });
});

Deno.test("reapLeaked with runId removes that run only, alive or not", async () => {
  const { docker, removed } = fakeDocker(
    [{ Id: "a", Labels: labels("r1", 1) }, { Id: "b", Labels: labels("r2", 1) }],
    [],
  );
  await reapLeaked(docker, { runId: "r1", isOwnerAlive: () => Promise.resolve(true) });
  assert.deepEqual(removed, ["c:a"]);
});

Deno.test("reapLeaked with olderThanMs removes old things of live owners", async () => {
  const { docker, removed } = fakeDocker(
    [{ Id: "old", Labels: labels("r1", 1, 1_000) }, { Id: "new", Labels: labels("r1", 1, 9_500) }],
    [],
  );
  await reapLeaked(docker, {
    olderThanMs: 5_000,
    now: () => 10_000,
    isOwnerAlive: () => Promise.resolve(true),
  });
  assert.deepEqual(removed, ["c:old"]);
});

Deno.test("ownerAlive knows this process and tells a reused pid by its start time", async () => {
  const start = await processStartTime(Deno.pid);
  assert.match(start ?? "", /^\d+$/);
  assert.equal(await ownerAlive(Deno.pid, start!), true);
  assert.equal(await ownerAlive(Deno.pid, "1"), false);
  assert.equal(await ownerAlive(0, ""), false);
  assert.equal(await ownerAlive(2 ** 22 + 7, ""), false);
});

const me = { host: "h1", boot: "b1", pidns: "pid:[1]", uid: "1000" };
const owned = (pid: number, over: Record<string, string> = {}) => ({
  ...labels("r", pid),
  "zu.host": me.host,
  "zu.boot": me.boot,
  "zu.pidns": me.pidns,
  "zu.uid": me.uid,
  ...over,
});

Deno.test("reapLeaked never judges an owner on another host or in another pid namespace", async () => {
  const { docker, removed } = fakeDocker(
    [
      { Id: "here-dead", Labels: owned(111) },
      { Id: "here-alive", Labels: owned(222) },
      { Id: "other-host", Labels: owned(111, { "zu.host": "h2", "zu.boot": "b2" }) },
      { Id: "other-pidns", Labels: owned(111, { "zu.pidns": "pid:[2]" }) },
      { Id: "earlier-boot", Labels: owned(222, { "zu.boot": "b0" }) },
      { Id: "unknown-host", Labels: owned(111, { "zu.host": "", "zu.boot": "b9" }) },
    ],
    [],
  );
  await reapLeaked(docker, {
    self: me,
    hidesOthers: () => false,
    isOwnerAlive: (pid) => Promise.resolve(pid === 222),
  });
  assert.deepEqual(removed, ["c:here-dead", "c:earlier-boot"]);
});

Deno.test("reapLeaked keeps another user's sandbox when /proc hides that user's processes", async () => {
  const gone = 2 ** 22 + 11;
  const other = [{ Id: "theirs", Labels: owned(gone, { "zu.uid": "1001" }) }];
  const hidden = fakeDocker(other, []);
  await reapLeaked(hidden.docker, { self: me, hidesOthers: () => true });
  assert.deepEqual(hidden.removed, []);
  const visible = fakeDocker(other, []);
  await reapLeaked(visible.docker, { self: me, hidesOthers: () => false });
  assert.deepEqual(visible.removed, ["c:theirs"]);
});

dockerTest(
  "zu sandbox gc on a real daemon keeps a live owner's container and removes a dead one's",
  async () => {
    const docker = new Docker({ socketPath: dockerSocketPath() });
    const tag = `zu.test=${crypto.randomUUID()}`;
    const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
    const deadPid = child.pid;
    await child.status;
    const start = await processStartTime(Deno.pid);
    const make = async (pid: number, pidstart: string) => {
      const c = await docker.createContainer({
        Image: "zu-runtime:0.1.0",
        Cmd: ["true"],
        Labels: {
          ...managedLabels({ runId: "gc-test", ownerPid: pid, ownerStart: pidstart, createdAt: 0 }),
          [tag.split("=")[0]!]: tag.split("=")[1]!,
        },
      });
      return c.id;
    };
    const live = await make(Deno.pid, start ?? "");
    const dead = await make(deadPid, "1");
    try {
      const report = await reapLeaked(docker, { label: tag });
      assert.deepEqual(report.containers, [dead]);
      const left = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [tag] }),
      });
      assert.deepEqual(left.map((c) => c.Id), [live]);
    } finally {
      for (const id of [live, dead]) {
        await docker.getContainer(id).remove({ force: true }).catch(() => {});
      }
    }
  },
);

Deno.test("reapLeaked removes the workspace volumes of dead owners after their containers", async () => {
  const { docker, removed } = fakeDocker(
    [{ Id: "dead", Labels: labels("r1", 111) }],
    [],
    [
      { Name: "zu-ws-dead", Labels: { ...labels("r1", 111), "zu.workspace": "1" } },
      { Name: "zu-ws-alive", Labels: { ...labels("r2", 222), "zu.workspace": "1" } },
      { Name: "not-ours", Labels: {} },
    ],
  );
  const report = await reapLeaked(docker, { isOwnerAlive: (pid) => Promise.resolve(pid === 222) });
  assert.deepEqual(removed, ["c:dead", "v:zu-ws-dead"]);
  assert.deepEqual(report.volumes, ["zu-ws-dead"]);
});
