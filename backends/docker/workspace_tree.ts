/**
 * Reads a tar archive (ustar, GNU long names, PAX) as the Docker archive API writes it, and hashes
 * the tree it holds: `treeDigest` is equal for two archives of the same tree whatever their
 * modification times, so a restored workspace can be proven byte-identical to its snapshot.
 *
 * @example
 * ```ts
 * import { tarEntries, treeDigest } from "./workspace_tree.ts";
 * const empty = new Uint8Array(1024);
 * console.assert(tarEntries(empty).length === 0);
 * console.assert((await treeDigest(empty)).length === 64);
 * ```
 * @module
 */

/** One entry of a tar archive. */
export interface TreeEntry {
  /** Path without a leading `./` (the root is `.`). */
  path: string;
  /** `file`, `dir`, `symlink`, `hardlink` or `other`. */
  kind: "file" | "dir" | "symlink" | "hardlink" | "other";
  /** Permission bits. */
  mode: number;
  /** Owner uid. */
  uid: number;
  /** Owner gid. */
  gid: number;
  /** Link target (links). */
  link: string;
  /** The content (files). */
  data: Uint8Array;
}

const decoder = new TextDecoder();

function text(block: Uint8Array, offset: number, width: number): string {
  const slice = block.subarray(offset, offset + width);
  const end = slice.indexOf(0);
  return decoder.decode(end === -1 ? slice : slice.subarray(0, end));
}

function octal(block: Uint8Array, offset: number, width: number): number {
  const raw = text(block, offset, width).trim();
  return raw === "" ? 0 : parseInt(raw, 8);
}

function paxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const body = decoder.decode(data);
  let i = 0;
  for (let guard = 0; i < body.length && guard < 10_000; guard++) {
    const space = body.indexOf(" ", i);
    const len = parseInt(body.slice(i, space), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = body.slice(space + 1, i + len - 1);
    const eq = record.indexOf("=");
    out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

function normal(path: string): string {
  const p = path.replace(/^\.\//, "").replace(/\/+$/, "");
  return p === "" || p === "." ? "." : p;
}

/** The entries of a tar archive (throws on a truncated or malformed one). */
export function tarEntries(tar: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const dataStart = at + 512;
    if (dataStart + size > tar.length) throw new Error("Truncated tar archive");
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / 512) * 512;
    if (type === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (type === "g") continue;
    if (type === "L" || type === "K") {
      const value = decoder.decode(data).replace(/\0+$/, "");
      if (type === "L") longName = value;
      else longLink = value;
      continue;
    }
    const prefix = text(h, 345, 155);
    const name = pax.path ?? longName ??
      (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    const link = pax.linkpath ?? longLink ?? text(h, 157, 100);
    const kind = type === "0" || type === "7"
      ? "file"
      : type === "5"
      ? "dir"
      : type === "2"
      ? "symlink"
      : type === "1"
      ? "hardlink"
      : "other";
    entries.push({
      path: normal(name),
      kind,
      mode: octal(h, 100, 8) & 0o7777,
      uid: pax.uid !== undefined ? Number(pax.uid) : octal(h, 108, 8),
      gid: pax.gid !== undefined ? Number(pax.gid) : octal(h, 116, 8),
      link: kind === "symlink" || kind === "hardlink" ? link : "",
      data: kind === "file" ? data : new Uint8Array(0),
    });
    pax = {};
    longName = longLink = undefined;
  }
  return entries;
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** sha256 (hex) of bytes. */
export function sha256(data: Uint8Array): Promise<string> {
  return sha256Hex(data);
}

/**
 * sha256 over the tree of a tar archive: one line per entry, sorted by path, with kind, mode,
 * owner, size, content sha256 and link target (times left out).
 */
export async function treeDigest(tar: Uint8Array): Promise<string> {
  const lines: string[] = [];
  for (const e of tarEntries(tar)) {
    const content = e.kind === "file" ? await sha256Hex(e.data) : "-";
    lines.push(
      JSON.stringify([
        e.path,
        e.kind,
        e.mode.toString(8),
        e.uid,
        e.gid,
        e.data.length,
        content,
        e.link,
      ]),
    );
  }
  lines.sort();
  return await sha256Hex(new TextEncoder().encode(lines.join("\n")));
}
