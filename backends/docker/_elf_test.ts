import assert from "node:assert/strict";
import { isStaticElf, staticElf } from "./_elf.ts";

/** A 64-bit little-endian ELF header with one program header of `type`. */
function elf64(type: number): Uint8Array {
  const bytes = new Uint8Array(64 + 56);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0x20, 64n, true); // e_phoff
  view.setUint16(0x36, 56, true); // e_phentsize
  view.setUint16(0x38, 1, true); // e_phnum
  view.setUint32(64, type, true);
  return bytes;
}

Deno.test("staticElf tells a static ELF from one that names a loader, and non-ELF from both", () => {
  assert.equal(staticElf(elf64(1)), true); // PT_LOAD only
  assert.equal(staticElf(elf64(3)), false); // PT_INTERP
  assert.equal(
    staticElf(new TextEncoder().encode("#!/bin/sh\necho not elf\n".repeat(4))),
    undefined,
  );
});

Deno.test("isStaticElf reads the running Deno as dynamic and a missing file as unknown", async () => {
  assert.equal(await isStaticElf(Deno.execPath()), false);
  assert.equal(await isStaticElf("/nonexistent/busybox"), undefined);
});
