/**
 * Opening the event log a command reads or writes: SQLite by default, JSONL for `*.jsonl`; keys
 * from the environment; a missing file is a user error for readers and is never created by one.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { EventSink, PayloadCodec } from "../core/types.ts";
import type { CliIo } from "./_io.ts";

/** The default event log, relative to the working directory. */
export const DEFAULT_DB = ".zu/events.db";

/** Absolute path of `path` against `cwd`. */
export function resolvePath(cwd: string, path: string): string {
  if (path.startsWith("/")) return path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return new URL(path, `file://${base}`).pathname;
}

/** Whether anything is at `path` (a denied or failed stat reads as "no"). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link openEventLog}. */
export interface OpenEventLogOptions {
  /** Refuse (user error) when the file does not exist, instead of creating it. */
  mustExist: boolean;
  /** `none`, `aesgcm` or `managed` for new rows. Default `none`. */
  encryption?: string;
}

async function readCodecs(io: CliIo): Promise<PayloadCodec[]> {
  const { AesGcmCodec, ManagedAesGcmCodec } = await import("../sinks/encryption/mod.ts");
  const out: PayloadCodec[] = [];
  const env = (k: string): string | undefined => io.env(k);
  if (io.env("ZU_EVENT_KEY")) {
    try {
      out.push(AesGcmCodec.fromEnv({ env }));
    } catch {
      // a malformed key is reported when a row needs it
    }
  }
  try {
    out.push(ManagedAesGcmCodec.fromEnv({ env }));
  } catch {
    // no managed keys
  }
  return out;
}

/** True when `path` names a JSONL log. */
export function isJsonlPath(path: string): boolean {
  return /\.jsonl$/i.test(path);
}

/** Opens the event log at `path` (absolute or relative to `io.cwd`). */
export async function openEventLog(
  io: CliIo,
  path: string,
  options: OpenEventLogOptions,
): Promise<EventSink> {
  const abs = resolvePath(io.cwd, path);
  if (options.mustExist && !exists(abs)) {
    throw new UserError(
      "event_log_not_found",
      `Cannot open event log "${path}": the file does not exist; run "zu demo" or "zu run" first, or pass --db <path>`,
    );
  }
  if (!options.mustExist) {
    const dir = abs.slice(0, abs.lastIndexOf("/"));
    if (dir) await Deno.mkdir(dir, { recursive: true });
  }
  if (isJsonlPath(abs)) {
    const { JsonlSink } = await import("../sinks/jsonl/mod.ts");
    return new JsonlSink(abs);
  }
  const { SqliteSink } = await import("../sinks/sqlite/mod.ts");
  const codecs = await readCodecs(io);
  const enc = options.encryption ?? "none";
  let codec: PayloadCodec | undefined;
  if (enc !== "none") {
    const { createCodec } = await import("../sinks/encryption/mod.ts");
    codec = createCodec(enc, { env: (k: string) => io.env(k) });
  }
  return new SqliteSink(abs, { readCodecs: codecs, ...(codec ? { codec } : {}) });
}
