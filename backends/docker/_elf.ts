/**
 * Whether an ELF executable is statically linked (has no `PT_INTERP` program header): a
 * `FROM scratch` image has no loader, so only static programs run in it.
 *
 * @example
 * ```ts ignore
 * import { isStaticElf } from "./_elf.ts";
 * console.log(await isStaticElf("/bin/busybox"));
 * ```
 * @module
 */

const PT_INTERP = 3;

/** `true` for a static ELF, `false` for a dynamic one; `undefined` when `bytes` is not ELF. */
export function staticElf(bytes: Uint8Array): boolean | undefined {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c) {
    return undefined;
  }
  if (bytes[3] !== 0x46) return undefined;
  const wide = bytes[4] === 2;
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = wide ? Number(view.getBigUint64(0x20, little)) : view.getUint32(0x1c, little);
  const phentsize = view.getUint16(wide ? 0x36 : 0x2a, little);
  const phnum = view.getUint16(wide ? 0x38 : 0x2c, little);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bytes.length) return undefined;
    if (view.getUint32(at, little) === PT_INTERP) return false;
  }
  return true;
}

/** Reads the head of `path` and answers {@linkcode staticElf}; `undefined` when unreadable. */
export async function isStaticElf(path: string): Promise<boolean | undefined> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true });
    const head = new Uint8Array(65536);
    let filled = 0;
    while (filled < head.length) {
      const n = await file.read(head.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return staticElf(head.subarray(0, filled));
  } catch {
    return undefined;
  } finally {
    file?.close();
  }
}
