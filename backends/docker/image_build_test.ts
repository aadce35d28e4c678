import assert from "node:assert/strict";
import { attackContext, contextHash, parseLdd, runtimeContext } from "./image_build.ts";

Deno.test("parseLdd takes the libraries and the loader and skips the vdso", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f06)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f06)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f06)",
  ].join("\n");
  assert.deepEqual(parseLdd(out), [
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
});

Deno.test("the runtime context holds deno, its loader, the zu user, CA certificates and the sources", async () => {
  const entries = await runtimeContext();
  const paths = new Set(entries.map((e) => e.path));
  for (
    const p of [
      "rootfs/usr/local/bin/deno",
      "rootfs/etc/passwd",
      "rootfs/opt/zu/deno.json",
      "Dockerfile",
    ]
  ) {
    assert.ok(paths.has(p), p);
  }
  assert.ok([...paths].some((p) => /^rootfs\/lib.*\/ld-linux.*\.so\.\d$/.test(p)));
  assert.ok([...paths].some((p) => p.startsWith("rootfs/opt/zu/core/")));
  assert.ok(![...paths].some((p) => p.endsWith("_test.ts")));
  const passwd = entries.find((e) => e.path === "rootfs/etc/passwd");
  assert.ok(passwd?.type === "file" && typeof passwd.source !== "string");
  assert.match(new TextDecoder().decode(passwd.source as Uint8Array), /^zu:x:10001:10001:/m);
  const dockerfile = entries.find((e) => e.path === "Dockerfile");
  const text = new TextDecoder().decode((dockerfile as { source: Uint8Array }).source);
  assert.match(text, /^FROM scratch$/m);
  assert.match(text, /^USER 10001:10001$/m);
});

/** A stand-in busybox (a script that lists two applets), so no host package is needed. */
async function fakeBusybox(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_fake_busybox_" });
  const path = `${dir}/busybox`;
  await Deno.writeTextFile(path, "#!/bin/sh\necho sh\necho ls\n");
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("contextHash changes with content and ignores the Dockerfile label", async () => {
  const busyboxPath = await fakeBusybox();
  try {
    const a = await attackContext({ hash: "one", busyboxPath });
    const b = await attackContext({ hash: "two", busyboxPath });
    assert.equal(await contextHash(a), await contextHash(b));
    assert.ok(a.some((e) => e.path === "rootfs/bin/ls" && e.type === "symlink"));
    const changed = a.map((e) =>
      e.path === "rootfs/etc/group"
        ? { ...e, source: new TextEncoder().encode("x") } as typeof e
        : e
    );
    assert.notEqual(await contextHash(changed), await contextHash(a));
  } finally {
    await Deno.remove(busyboxPath.replace(/\/busybox$/, ""), { recursive: true });
  }
});

Deno.test("attackContext refuses a dynamically linked busybox and names busybox-static", async () => {
  // The running Deno stands in for a dynamic executable.
  await assert.rejects(attackContext({ busyboxPath: Deno.execPath() }), (e: Error) => {
    assert.match(e.message, /is dynamically linked and cannot run in an image FROM scratch/);
    assert.match(e.message, /apt-get install busybox-static/);
    return true;
  });
});
