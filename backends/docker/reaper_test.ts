import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { ownerAlive, processStartTime, reapLeaked } from "./reaper.ts";

function fakeDocker(
  containers: Array<{ Id: string; Labels: Record<string, string> }>,
  networks: Array<{ Id: string; Name: string; Labels: Record<string, string> }>,
) {
  const removed: string[] = [];
  const docker = {
    listContainers: () => Promise.resolve(containers),
    listNetworks: () => Promise.resolve(networks),
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
  assert.deepEqual(report, { containers: ["dead"], networks: ["zu-net-r1"] });
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
