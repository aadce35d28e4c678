import assert from "node:assert/strict";
import {
  loadSeccompProfile,
  SECCOMP_PROFILE_NAMES,
  validateSeccompProfile,
} from "./profile_loader.ts";

const BLOCKED = [
  "ptrace",
  "mount",
  "umount",
  "umount2",
  "pivot_root",
  "chroot",
  "setns",
  "unshare",
  "init_module",
  "finit_module",
  "delete_module",
  "kexec_load",
  "kexec_file_load",
  "bpf",
  "perf_event_open",
  "reboot",
  "swapon",
  "swapoff",
  "keyctl",
  "add_key",
  "request_key",
  "acct",
  "quotactl",
  "open_by_handle_at",
  "name_to_handle_at",
  "userfaultfd",
];

Deno.test("the block profile allows by default and answers EPERM for every listed call", async () => {
  const { profile, json } = await loadSeccompProfile("block");
  assert.equal(profile.defaultAction, "SCMP_ACT_ALLOW");
  const eperm = new Set(
    profile.syscalls.filter((r) => r.action === "SCMP_ACT_ERRNO" && r.errnoRet === 1 && !r.args)
      .flatMap((r) => r.names),
  );
  for (const name of BLOCKED) assert.ok(eperm.has(name), `block.json does not block "${name}"`);
  assert.deepEqual(JSON.parse(json), profile);
});

Deno.test("the block profile refuses clone with each CLONE_NEW flag and sends clone3 to ENOSYS", async () => {
  const { profile } = await loadSeccompProfile("block");
  const masks = profile.syscalls.filter((r) => r.names.includes("clone"))
    .map((r) => r.args?.[0]?.value);
  assert.ok(masks.includes(0x10000000), "CLONE_NEWUSER");
  assert.ok(masks.includes(0x40000000), "CLONE_NEWNET");
  assert.equal(profile.syscalls.find((r) => r.names.includes("clone3"))?.errnoRet, 38);
});

Deno.test("the default profile denies by default and allows none of the blocked calls", async () => {
  const { profile } = await loadSeccompProfile("default");
  assert.equal(profile.defaultAction, "SCMP_ACT_ERRNO");
  const allowed = new Set(
    profile.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW").flatMap((r) => r.names),
  );
  for (const name of BLOCKED) assert.ok(!allowed.has(name), `default.json allows "${name}"`);
  for (
    const name of ["read", "write", "execve", "futex", "epoll_wait", "mmap", "socket", "clone"]
  ) {
    assert.ok(allowed.has(name), `default.json does not allow "${name}"`);
  }
  assert.ok(!allowed.has("io_uring_setup"));
});

Deno.test("the loader names every shipped profile", () => {
  assert.deepEqual([...SECCOMP_PROFILE_NAMES], ["block", "default"]);
});

Deno.test("loadSeccompProfile reads and validates a profile file by path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/p.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }),
    );
    const loaded = await loadSeccompProfile(path);
    assert.equal(loaded.json, '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}');
    await Deno.writeTextFile(path, "{nope");
    await assert.rejects(loadSeccompProfile(path), SyntaxError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSeccompProfile refuses an unknown name with the names it knows", async () => {
  await assert.rejects(
    loadSeccompProfile("strict"),
    /Unknown seccomp profile "strict": use "block" or "default"/,
  );
});

Deno.test("validateSeccompProfile says exactly what is wrong", () => {
  const bad = (v: unknown, re: RegExp) =>
    assert.throws(() => validateSeccompProfile(v, "x.json"), re);
  bad([], /"x.json": it is not a JSON object/);
  bad({ defaultAction: "ALLOW", syscalls: [] }, /defaultAction "ALLOW" is not a seccomp action/);
  bad({ defaultAction: "SCMP_ACT_ALLOW" }, /syscalls is missing/);
  bad(
    { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ALLOW" }] },
    /syscalls\[0\]\.names is missing or empty/,
  );
  bad(
    { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOPE" }] },
    /syscalls\[0\]\.action "SCMP_ACT_NOPE"/,
  );
  bad(
    { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["Read!"], action: "SCMP_ACT_ALLOW" }] },
    /names\[0\] "Read!" is not a syscall name/,
  );
  bad(
    {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }],
      }],
    },
    /args\[0\]\.index "6" is not 0\.\.5/,
  );
  bad(
    { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: -1, syscalls: [] },
    /defaultErrnoRet "-1"/,
  );
  bad(
    { defaultAction: "SCMP_ACT_ALLOW", architectures: ["x86"], syscalls: [] },
    /architectures\[0\] "x86"/,
  );
});
