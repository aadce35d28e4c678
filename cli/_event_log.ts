/**
 * Opening the event log a command reads or writes, always through the sink driver registry
 * (`sinks/open_sink.ts`): the agent's `event_sink` with every key honoured and its `trace_sinks`
 * attached, `--db <path>` moving the canonical sink to another file (driver by extension, every
 * other key kept), `.zu/events.db` in the working directory when the agent names none. `--db` also
 * takes a server log (`postgres://…`, `env:NAME`; one syntax, `_log_ref.ts`). A missing file is a
 * user error for readers and is never created by one.
 *
 * @module
 */
import { resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import type { EventSink, EventSinkConfig } from "../core/types.ts";
import {
  openSink,
  openSinks,
  sinkConfigForPath,
  sinkPath,
  withSinkPath,
} from "../sinks/open_sink.ts";
import { sinkRegistry } from "../sinks/registry.ts";
import type { LoadedAgent } from "./_agent.ts";
import type { CliIo } from "./_io.ts";
import { isServerLogRef, parseLogRef } from "./_log_ref.ts";

/** The default event log, relative to the working directory. */
export const DEFAULT_DB = ".zu/events.db";

/** Absolute path of `path` against `cwd`. */
export function resolvePath(cwd: string, path: string): string {
  if (path.startsWith("/")) return path;
  // A path, not a URL: "%", "#" and "?" are ordinary characters of a file name.
  return resolve(cwd, path);
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

function notFound(path: string): UserError {
  return new UserError(
    "event_log_not_found",
    `Cannot open event log "${path}": the file does not exist; run "zu demo" or "zu run" first, or pass --db <path>`,
  );
}

/** Options of {@link openEventLog}. */
export interface OpenEventLogOptions {
  /** Refuse (user error) when the file does not exist, instead of creating it. */
  mustExist: boolean;
}

/**
 * Opens the log `path` names (a file, absolute or relative to `io.cwd`, its driver picked by the
 * registry from the extension; or a server log, `_log_ref.ts`); keys from the environment.
 */
export async function openEventLog(
  io: CliIo,
  path: string,
  options: OpenEventLogOptions,
): Promise<EventSink> {
  const target = parseLogRef(io, path);
  if (options.mustExist && target.file !== null && !exists(target.file)) throw notFound(path);
  return await openSink(target.config, {
    dir: io.cwd,
    env: target.env,
    mode: options.mustExist ? "read" : "write",
  });
}

/** The canonical sink block a command uses: `--db`, else the agent's, else the default file. */
export function canonicalSink(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): EventSinkConfig {
  const configured = agent?.config.event_sink ?? null;
  if (dbFlag && isServerLogRef(dbFlag)) return parseLogRef(io, dbFlag).config;
  if (dbFlag) return withSinkPath(configured, resolvePath(io.cwd, dbFlag));
  return configured ?? sinkConfigForPath(resolvePath(io.cwd, DEFAULT_DB));
}

/** The file a command's events go to (null for a sink that keeps no file). */
export function eventLogPath(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): string | null {
  return sinkPath(canonicalSink(io, agent, dbFlag), agent?.dir ?? io.cwd);
}

/** A run's open event log and where it is. */
export interface RunLog {
  /** The canonical sink, with the agent's trace sinks attached. */
  sink: EventSink;
  /** Its file, or null when it keeps none. */
  db: string | null;
}

/**
 * Opens the log a run appends to: {@link canonicalSink} with every key of the agent's block
 * honoured and its `trace_sinks` attached as isolated subscribers. The first failure of each
 * trace sink is reported on stderr as a warning; the run goes on.
 */
export async function openRunLog(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): Promise<RunLog> {
  const event_sink = canonicalSink(io, agent, dbFlag);
  const dir = agent?.dir ?? io.cwd;
  const warned = new Set<number>();
  const env = dbFlag && isServerLogRef(dbFlag)
    ? parseLogRef(io, dbFlag).env
    : (k: string) => io.env(k);
  const sink = await openSinks(
    { event_sink, trace_sinks: agent?.config.trace_sinks ?? [] },
    {
      dir,
      env,
      onTraceFailure: (f) => {
        if (warned.has(f.sink)) return;
        warned.add(f.sink);
        io.stderr(
          `warning: trace_sinks[${f.sink}] failed (${f.error}); the event log goes on without it\n`,
        );
      },
    },
  );
  return { sink, db: sinkPath(event_sink, dir) };
}

/**
 * Opens the log a reader reads: `--db`, else the agent's `event_sink` (its keys honoured, no
 * trace sinks, no signing key needed), else `.zu/events.db`. The file must exist.
 */
export async function openReadLog(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): Promise<EventSink> {
  if (dbFlag || agent === null) return openEventLog(io, dbFlag ?? DEFAULT_DB, { mustExist: true });
  const event_sink = canonicalSink(io, agent, undefined);
  const path = sinkPath(event_sink, agent.dir);
  if (path === null && sinkRegistry.get(event_sink.driver).fallback === true) {
    throw new UserError(
      "event_log_not_found",
      `Cannot read the event log of agent "${agent.file}": its event_sink (driver "${event_sink.driver}") keeps no file; pass --db <path>`,
    );
  }
  if (path !== null && path !== ":memory:" && !exists(path)) throw notFound(path);
  return await openSinks({ event_sink }, { dir: agent.dir, env: (k) => io.env(k), mode: "read" });
}
