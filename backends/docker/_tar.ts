/**
 * A small streaming tar (ustar + PAX) writer for Docker build contexts.
 *
 * Entries are produced lazily, so a 100 MB binary is read once, in chunks, while the daemon
 * consumes the stream. Long names and link targets use PAX extended headers.
 *
 * @module
 */

/** One entry of a build context. */
export type TarEntry =
  | {
    type: "file";
    path: string;
    mode: number;
    source: string | Uint8Array;
    uid?: number;
    gid?: number;
  }
  | { type: "dir"; path: string; mode: number; uid?: number; gid?: number }
  | { type: "symlink"; path: string; target: string; uid?: number; gid?: number };

const encoder = new TextEncoder();
const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function writeString(buf: Uint8Array, offset: number, width: number, text: string): void {
  const bytes = encoder.encode(text);
  buf.set(bytes.subarray(0, width), offset);
}

interface HeaderOptions {
  mode: number;
  size: number;
  type: string;
  linkname?: string;
  uid?: number;
  gid?: number;
}

function header(
  name: string,
  options: HeaderOptions,
): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeString(h, 100, 8, octal(options.mode & 0o7777, 8));
  writeString(h, 108, 8, octal(options.uid ?? 0, 8));
  writeString(h, 116, 8, octal(options.gid ?? 0, 8));
  writeString(h, 124, 12, octal(options.size, 12));
  writeString(h, 136, 12, octal(0, 12));
  writeString(h, 148, 8, "        ");
  writeString(h, 156, 1, options.type);
  writeString(h, 157, 100, options.linkname ?? "");
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = encoder.encode(body).length;
  let total = len + String(len).length;
  if (String(total).length !== String(len).length) total = len + String(total).length;
  len = total;
  return `${len}${body}`;
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function* headerBlocks(
  path: string,
  options: HeaderOptions,
): Generator<Uint8Array> {
  const records: string[] = [];
  let name = path;
  if (encoder.encode(path).length > 99 || !isAscii(path)) {
    records.push(paxRecord("path", path));
    name = path.slice(0, 90).replace(/[^\x20-\x7e]/g, "_");
  }
  let linkname = options.linkname;
  if (linkname !== undefined && (encoder.encode(linkname).length > 99 || !isAscii(linkname))) {
    records.push(paxRecord("linkpath", linkname));
    linkname = linkname.slice(0, 90).replace(/[^\x20-\x7e]/g, "_");
  }
  if (records.length > 0) {
    const data = encoder.encode(records.join(""));
    yield header("PaxHeader", { mode: 0o644, size: data.length, type: "x" });
    yield data;
    yield padding(data.length);
  }
  yield header(name, { ...options, ...(linkname !== undefined ? { linkname } : {}) });
}

/** Streams `entries` as a tar archive (two zero blocks at the end). */
export async function* tarStream(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const owner = {
      ...(entry.uid !== undefined ? { uid: entry.uid } : {}),
      ...(entry.gid !== undefined ? { gid: entry.gid } : {}),
    };
    if (entry.type === "dir") {
      const path = entry.path.endsWith("/") ? entry.path : `${entry.path}/`;
      yield* headerBlocks(path, { mode: entry.mode, size: 0, type: "5", ...owner });
    } else if (entry.type === "symlink") {
      yield* headerBlocks(entry.path, {
        mode: 0o777,
        size: 0,
        type: "2",
        linkname: entry.target,
        ...owner,
      });
    } else if (typeof entry.source !== "string") {
      const data = entry.source;
      yield* headerBlocks(entry.path, { mode: entry.mode, size: data.length, type: "0", ...owner });
      yield data;
      yield padding(data.length);
    } else {
      const file = await Deno.open(entry.source, { read: true });
      try {
        const size = (await file.stat()).size;
        yield* headerBlocks(entry.path, { mode: entry.mode, size, type: "0", ...owner });
        let written = 0;
        const buf = new Uint8Array(1 << 20);
        while (written < size) {
          const n = await file.read(buf.subarray(0, Math.min(buf.length, size - written)));
          if (n === null) throw new Error(`File "${entry.source}" shrank while being archived`);
          yield buf.slice(0, n);
          written += n;
        }
        yield padding(size);
      } finally {
        file.close();
      }
    }
  }
  yield new Uint8Array(BLOCK * 2);
}
