/**
 * The file operations of `zu-session`, run inside the sandbox as the sandbox user: `read` sends
 * the file in base64 `data` chunks (an `err` when it is larger than `max`), `write` creates or
 * truncates on the first chunk and appends the next ones (`ok` after the `final` one), `list`
 * sends the entries in `entries` batches. Failures answer `err{code, message}`.
 *
 * @example
 * ```ts ignore
 * import { listDir } from "./fs_ops.ts";
 * await listDir({ t: "list", id: 1, path: "/tmp" }, (f) => Promise.resolve(console.log(f)));
 * ```
 * @module
 */
import { fromBase64, type HostFrame, MAX_CHUNK_BYTES, toBase64 } from "./frames.ts";
import type { Emit } from "./run_command.ts";

const LIST_BATCH = 2000;

function errCode(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "not_found";
  if (error instanceof Deno.errors.PermissionDenied) return "permission_denied";
  if (error instanceof Deno.errors.AlreadyExists) return "already_exists";
  if (error instanceof Deno.errors.IsADirectory) return "is_a_directory";
  if (error instanceof Deno.errors.NotADirectory) return "not_a_directory";
  return "io_error";
}

/** Answers a failed operation with an `err` frame. */
export function emitError(id: number, error: unknown, emit: Emit): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  return emit({ t: "err", id, code: errCode(error), message: message.slice(0, 2000) });
}

/** Reads a file and sends it in `data` chunks. */
export async function readFile(
  frame: Extract<HostFrame, { t: "read" }>,
  emit: Emit,
): Promise<void> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(frame.path, { read: true });
    const info = await file.stat();
    if (!info.isFile) throw new Deno.errors.IsADirectory(`"${frame.path}" is not a file`);
    if (info.size > frame.max) {
      await emit({
        t: "err",
        id: frame.id,
        code: "too_large",
        message: `"${frame.path}" has ${info.size} bytes, more than ${frame.max}`,
      });
      return;
    }
    const buf = new Uint8Array(MAX_CHUNK_BYTES);
    let total = 0;
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      total += n;
      if (total > frame.max) {
        await emit({ t: "err", id: frame.id, code: "too_large", message: "the file grew" });
        return;
      }
      await emit({ t: "data", id: frame.id, data: toBase64(buf.subarray(0, n)), eof: false });
    }
    await emit({ t: "data", id: frame.id, data: "", eof: true });
  } catch (error) {
    await emitError(frame.id, error, emit);
  } finally {
    file?.close();
  }
}

/** Writes one chunk of a file (the first creates or truncates it). */
export async function writeChunk(
  frame: Extract<HostFrame, { t: "write" }>,
  emit: Emit,
): Promise<boolean> {
  try {
    const bytes = fromBase64(frame.data);
    await Deno.writeFile(frame.path, bytes, {
      append: frame.append,
      create: true,
      ...(frame.mode !== undefined && !frame.append ? { mode: frame.mode & 0o777 } : {}),
    });
    if (frame.mode !== undefined && !frame.append) await Deno.chmod(frame.path, frame.mode & 0o777);
    if (frame.final) await emit({ t: "ok", id: frame.id });
    return true;
  } catch (error) {
    await emitError(frame.id, error, emit);
    return false;
  }
}

/** Lists a directory in `entries` batches. */
export async function listDir(
  frame: Extract<HostFrame, { t: "list" }>,
  emit: Emit,
): Promise<void> {
  try {
    const batch: Array<{ name: string; kind: string; size: number }> = [];
    for await (const e of Deno.readDir(frame.path)) {
      let size = 0;
      if (e.isFile) {
        size = await Deno.lstat(`${frame.path}/${e.name}`).then((i) => i.size, () => 0);
      }
      const kind = e.isFile ? "file" : e.isDirectory ? "dir" : e.isSymlink ? "symlink" : "other";
      batch.push({ name: e.name, kind, size });
      if (batch.length >= LIST_BATCH) {
        await emit({ t: "entries", id: frame.id, entries: batch.splice(0), eof: false });
      }
    }
    await emit({ t: "entries", id: frame.id, entries: batch, eof: true });
  } catch (error) {
    await emitError(frame.id, error, emit);
  }
}
