import assert from "node:assert/strict";
import type { SandboxSpec } from "../../core/types.ts";
import type { DockerContainerCreateOptions } from "./docker_client.ts";
import {
  hardenedCreateOptions,
  type HardeningContext,
  MAX_MEMORY_BYTES,
  MAX_PIDS,
} from "./hardening.ts";
import {
  checkSandboxFloor,
  checkSandboxSpec,
  HOST_SOCKET_DIR_PREFIX,
  HOST_SOCKET_MOUNT,
  SandboxFloorError,
  seccompJsonFor,
} from "./sandbox_floor.ts";

const ctx: HardeningContext = {
  name: "zu-test",
  runId: "run-1",
  seccompJson: seccompJsonFor("default"),
  networkMode: "none",
  ownerPid: 42,
  ownerStart: "777",
  createdAt: 1000,
  hostCpus: 2,
};

const isFloor = (pattern: RegExp) => (e: unknown) =>
  e instanceof SandboxFloorError && e.code === "sandbox_floor" && pattern.test(e.message) &&
  !e.message.includes("\n");

Deno.test("seccompJsonFor accepts only the shipped profiles by name", () => {
  assert.match(seccompJsonFor("default"), /^\{"defaultAction":"SCMP_ACT_ERRNO"/);
  assert.match(seccompJsonFor("block"), /^\{"defaultAction":"SCMP_ACT_ALLOW"/);
  for (
    const bad of [
      "unconfined",
      "Default",
      "",
      "seccomp/profiles/default.json",
      "/tmp/allow_all.json",
      "../block",
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}',
    ]
  ) {
    assert.throws(() => seccompJsonFor(bad), isFloor(/seccomp profile/), bad);
    assert.throws(
      () => checkSandboxSpec({ image: "x", seccomp: bad }),
      isFloor(/only the shipped "block" or "default"/),
      bad,
    );
  }
});

Deno.test("checkSandboxSpec refuses every field zu does not know instead of ignoring it", () => {
  const attempts: Record<string, unknown>[] = [
    { privileged: true },
    { capAdd: ["SYS_ADMIN"] },
    { binds: ["/var/run/docker.sock:/var/run/docker.sock"] },
    { hostConfig: { Privileged: true } },
    { HostConfig: { PidMode: "host" } },
    { devices: ["/dev/kvm"] },
    { pidMode: "host" },
    { user: "0:0" },
    { readonlyRootfs: false },
    { securityOpt: ["seccomp=unconfined"] },
    { __proto__hack: 1 },
  ];
  for (const extra of attempts) {
    const spec = { image: "zu-runtime:0.1.0", ...extra } as unknown as SandboxSpec;
    assert.throws(
      () => checkSandboxSpec(spec),
      isFloor(/unknown spec field/),
      JSON.stringify(extra),
    );
    assert.throws(() => hardenedCreateOptions(spec, ctx), SandboxFloorError);
  }
});

Deno.test("checkSandboxSpec refuses host networks, bad names and fields of the wrong type", () => {
  const attempts: Record<string, unknown>[] = [
    { network: "host" },
    { network: "isolated", networkName: "host" },
    { network: "isolated", networkName: "bridge" },
    { network: "isolated", networkName: "container:abc123" },
    { network: "isolated", networkName: "ns:/proc/1/ns/net" },
    { allowUnrestrictedEgress: "yes" },
    { workdir: "relative/dir" },
    { proxy: "http://proxy:8080 --privileged" },
    { env: { A: 1 } },
    { cmd: "sh -c id" },
    { memoryBytes: "2g" },
    { image: "" },
  ];
  for (const extra of attempts) {
    const spec = { image: "zu-runtime:0.1.0", ...extra } as unknown as SandboxSpec;
    assert.throws(() => checkSandboxSpec(spec), isFloor(/spec field/), JSON.stringify(extra));
  }
  checkSandboxSpec({
    image: "zu-runtime:0.1.0",
    network: "isolated",
    networkName: "zu-net-1",
    proxy: "http://172.20.0.2:8080",
    workdir: "/work",
    seccomp: "block",
  });
});

Deno.test("hardenedCreateOptions refuses an inline or unshipped seccomp profile from any caller", () => {
  for (const json of ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}', "{}", "unconfined"]) {
    assert.throws(
      () => hardenedCreateOptions({ image: "x" }, { ...ctx, seccompJson: json }),
      isFloor(/seccomp "seccomp=.*" \(only the shipped profiles\)/),
    );
  }
});

Deno.test("hardenedCreateOptions refuses host and container networks and bridge without opt-in", () => {
  for (const mode of ["host", "container:abc", "bridge", "default"]) {
    assert.throws(
      () => hardenedCreateOptions({ image: "x" }, { ...ctx, networkMode: mode }),
      isFloor(/network/),
      mode,
    );
  }
  const open = hardenedCreateOptions(
    { image: "x", network: "unrestricted", allowUnrestrictedEgress: true },
    { ...ctx, networkMode: "bridge" },
  );
  assert.equal(open.HostConfig!.NetworkMode, "bridge");
});

function base(): DockerContainerCreateOptions {
  return hardenedCreateOptions({ image: "zu-runtime:0.1.0" }, { ...ctx, networkMode: "zu-net-1" });
}

Deno.test("checkSandboxFloor passes the built options and additive read-only binds", () => {
  const o = base();
  checkSandboxFloor(o, { hostCpus: 2 });
  o.HostConfig!.Binds = [`${Deno.cwd()}:/agent:ro`];
  o.HostConfig!.DnsOptions = ["timeout:1"];
  o.Entrypoint = [];
  checkSandboxFloor(o, { hostCpus: 2 });
});

Deno.test("checkSandboxFloor refuses every loosening of the built create options", () => {
  const h = (patch: Record<string, unknown>) => (o: DockerContainerCreateOptions) => {
    Object.assign(o.HostConfig!, patch);
  };
  const attacks: [string, (o: DockerContainerCreateOptions) => void, RegExp][] = [
    ["privileged", h({ Privileged: true }), /Privileged/],
    ["a capability added", h({ CapAdd: ["SYS_ADMIN"] }), /CapAdd/],
    ["capabilities kept", h({ CapDrop: ["NET_RAW"] }), /CapDrop/],
    ["no no-new-privileges", h({ SecurityOpt: [`seccomp=${ctx.seccompJson}`] }), /SecurityOpt/],
    ["apparmor off", h({ SecurityOpt: ["no-new-privileges", "apparmor=unconfined"] }), /seccomp/],
    ["seccomp off", h({ SecurityOpt: ["no-new-privileges", "seccomp=unconfined"] }), /seccomp/],
    [
      "a third security option",
      h({ SecurityOpt: ["no-new-privileges", `seccomp=${ctx.seccompJson}`, "label=disable"] }),
      /SecurityOpt/,
    ],
    ["unlimited pids", h({ PidsLimit: -1 }), /PidsLimit/],
    ["pids above the cap", h({ PidsLimit: 257 }), /PidsLimit/],
    ["unlimited memory", h({ Memory: 0 }), /Memory/],
    ["memory above the cap", h({ Memory: 2 * 1024 ** 3, MemorySwap: 2 * 1024 ** 3 }), /Memory/],
    ["swap", h({ MemorySwap: -1 }), /MemorySwap/],
    ["no CPU quota", h({ NanoCpus: 0 }), /NanoCpus/],
    ["more CPUs than the host", h({ NanoCpus: 64e9 }), /NanoCpus/],
    ["a writable root", h({ ReadonlyRootfs: false }), /ReadonlyRootfs/],
    ["an exec /tmp", h({ Tmpfs: { "/tmp": "rw,exec,size=1g" } }), /Tmpfs/],
    ["host pid namespace", h({ PidMode: "host" }), /"PidMode"/],
    ["host ipc namespace", h({ IpcMode: "host" }), /IpcMode/],
    ["host uts namespace", h({ UTSMode: "host" }), /"UTSMode"/],
    ["host user namespace", h({ UsernsMode: "host" }), /"UsernsMode"/],
    ["host cgroup namespace", h({ CgroupnsMode: "host" }), /"CgroupnsMode"/],
    ["host network", h({ NetworkMode: "host" }), /network "host"/],
    ["another container's network", h({ NetworkMode: "container:abc" }), /network/],
    ["a device", h({ Devices: [{ PathOnHost: "/dev/kvm" }] }), /"Devices"/],
    ["a GPU", h({ DeviceRequests: [{ Count: -1 }] }), /"DeviceRequests"/],
    ["a mount", h({ Mounts: [{ Type: "bind", Source: "/", Target: "/h" }] }), /own workspace/],
    ["volumes from", h({ VolumesFrom: ["other"] }), /"VolumesFrom"/],
    ["sysctls", h({ Sysctls: { "kernel.x": "1" } }), /"Sysctls"/],
    ["another runtime", h({ Runtime: "runc-unsafe" }), /"Runtime"/],
    ["root user", (o) => void (o.User = "0:0"), /user "0:0"/],
    ["no user", (o) => void delete o.User, /user/],
    ["a top-level volume", (o) => void Object.assign(o, { Volumes: { "/x": {} } }), /"Volumes"/],
    ["the socket bound", h({ Binds: ["/var/run/docker.sock:/var/run/docker.sock"] }), /Binds|bind/],
    ["the socket bound ro", h({ Binds: ["/var/run/docker.sock:/s:ro"] }), /Docker socket/],
    ["the socket's directory", h({ Binds: ["/run:/r:ro"] }), /Docker socket|system path/],
    ["the host root", h({ Binds: ["/:/host:ro"] }), /Docker socket/],
    ["/var", h({ Binds: ["/var/:/v:ro"] }), /Docker socket/],
    ["/proc", h({ Binds: ["/proc:/p:ro"] }), /system path/],
    ["a writable bind", h({ Binds: ["/tmp:/t"] }), /writable bind/],
    ["a named volume", h({ Binds: ["vol:/v:ro"] }), /host-path:container-path:ro/],
  ];
  for (const [name, mutate, pattern] of attacks) {
    const o = base();
    mutate(o);
    assert.throws(() => checkSandboxFloor(o, { hostCpus: 2 }), isFloor(pattern), name);
  }
});

Deno.test("checkSandboxFloor follows a symlink to the Docker socket", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const link = `${dir}/innocent`;
    Deno.symlinkSync("/var/run/docker.sock", link);
    const o = base();
    o.HostConfig!.Binds = [`${link}:/innocent:ro`];
    assert.throws(() => checkSandboxFloor(o, { hostCpus: 2 }), isFloor(/Docker socket/));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("checkSandboxFloor holds exactly at hardening.ts's limits", () => {
  const at = base();
  Object.assign(at.HostConfig!, {
    PidsLimit: MAX_PIDS,
    Memory: MAX_MEMORY_BYTES,
    MemorySwap: MAX_MEMORY_BYTES,
  });
  checkSandboxFloor(at, { hostCpus: 2 });
  const pids = base();
  pids.HostConfig!.PidsLimit = MAX_PIDS + 1;
  assert.throws(() => checkSandboxFloor(pids, { hostCpus: 2 }), isFloor(/PidsLimit "257"/));
  const memory = base();
  Object.assign(memory.HostConfig!, {
    Memory: MAX_MEMORY_BYTES + 1,
    MemorySwap: MAX_MEMORY_BYTES + 1,
  });
  assert.throws(() => checkSandboxFloor(memory, { hostCpus: 2 }), isFloor(/Memory/));
});

Deno.test("checkSandboxFloor lets only the sidecar bind the host socket directory, at /zu/vault", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zu_floor_" });
  const vault = `${tmp}/${HOST_SOCKET_DIR_PREFIX}abc`;
  await Deno.mkdir(vault, { mode: 0o700 });
  const listener = Deno.listen({ transport: "unix", path: `${vault}/broker.sock` });
  const plain = `${tmp}/plain`;
  await Deno.mkdir(plain);
  const holder = `${tmp}/holder`;
  await Deno.mkdir(holder);
  const holderSock = Deno.listen({ transport: "unix", path: `${holder}/x.sock` });
  const withBinds = (binds: string[]) => {
    const o = hardenedCreateOptions({ image: "zu-runtime:0.1.0" }, ctx);
    o.HostConfig!.Binds = binds;
    return o;
  };
  try {
    // The sidecar: exactly its one directory, read-only, at the mount point.
    checkSandboxFloor(withBinds([`${vault}:${HOST_SOCKET_MOUNT}:ro`]), { hostSocketDir: vault });
    assert.throws(
      () => checkSandboxFloor(withBinds([`${vault}:/elsewhere:ro`]), { hostSocketDir: vault }),
      isFloor(/goes at "\/zu\/vault" only/),
    );
    assert.throws(
      () =>
        checkSandboxFloor(withBinds([`${vault}:${HOST_SOCKET_MOUNT}`]), { hostSocketDir: vault }),
      isFloor(/writable bind/),
    );
    // Anyone else (an agent container has no context): every way of reaching the sockets.
    const refused: [string, RegExp][] = [
      [`${vault}:${HOST_SOCKET_MOUNT}:ro`, /host socket (mount|directory)/],
      [`${vault}:/agent:ro`, /host socket directory/],
      [`${vault}/broker.sock:/b.sock:ro`, /socket/],
      [`${tmp}:/t:ro`, /parent of a host socket directory/],
      [`${holder}:/h:ro`, /directory holding a socket/],
      [`${plain}:${HOST_SOCKET_MOUNT}:ro`, /host socket mount/],
      [`${plain}:/zu:ro`, /host socket mount/],
      [`${plain}:${HOST_SOCKET_MOUNT}/broker.sock:ro`, /host socket mount/],
    ];
    for (const [bind, why] of refused) {
      assert.throws(() => checkSandboxFloor(withBinds([bind])), isFloor(why), bind);
      // The sidecar's context allows its one directory, nothing more.
      if (!bind.startsWith(`${vault}:${HOST_SOCKET_MOUNT}:`)) {
        assert.throws(
          () => checkSandboxFloor(withBinds([bind]), { hostSocketDir: vault }),
          SandboxFloorError,
          bind,
        );
      }
    }
    checkSandboxFloor(withBinds([`${plain}:/agent:ro`]));
  } finally {
    listener.close();
    holderSock.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
