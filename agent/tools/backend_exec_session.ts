/**
 * An {@link ExecSession} over a backend's plain per-call exec (`execEntrypoint`): the fallback
 * when a backend has no exec session (`session(handle)`) of its own. Each `run` is one exec, so
 * it pays the exec's latency; `cwd` and file operations need the real session and are refused.
 *
 * @example
 * ```ts ignore
 * import { backendExecSession } from "./backend_exec_session.ts";
 * const session = backendExecSession(backend, handle);
 * const r = await session.run({ argv: ["deno", "--version"], timeoutMs: 5_000 });
 * console.log(r.exitCode, r.stdout);
 * ```
 * @module
 */
import type {
  ExecSession,
  SandboxBackend,
  SandboxHandle,
  SessionCommand,
  SessionDirEntry,
  SessionResult,
} from "../../core/types.ts";

/** The exit code a plain exec reports for a killed command. */
const KILLED = 137;

/** An {@link ExecSession} that runs each command as one `backend.execEntrypoint` call. */
export function backendExecSession(backend: SandboxBackend, handle: SandboxHandle): ExecSession {
  let alive = true;
  const unsupported = (what: string): Promise<never> =>
    Promise.reject(
      new TypeError(`Cannot ${what} in sandbox "${handle.name}": the plain exec has no file API`),
    );
  return {
    sandboxId: handle.id,
    get alive() {
      return alive;
    },
    async run(command: SessionCommand): Promise<SessionResult> {
      if (!alive) throw new TypeError(`Cannot run in sandbox "${handle.name}": session closed`);
      if (command.cwd !== undefined) {
        throw new TypeError(`Cannot run with cwd "${command.cwd}": the plain exec has no cwd`);
      }
      const argv = command.argv ?? (command.sh !== undefined ? ["/bin/sh", "-c", command.sh] : []);
      const r = await backend.execEntrypoint(handle, argv, {
        ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
        ...(command.maxOutputBytes !== undefined ? { maxOutputBytes: command.maxOutputBytes } : {}),
        ...(command.env !== undefined ? { env: command.env } : {}),
        ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
        ...(command.signal !== undefined ? { signal: command.signal } : {}),
      });
      const killed = r.timedOut || (r.exitCode === KILLED && command.signal?.aborted === true);
      return {
        exitCode: killed ? null : r.exitCode,
        signal: killed ? "SIGKILL" : null,
        stdout: r.stdout,
        stderr: r.stderr,
        truncated: r.truncated,
        timedOut: killed,
        durationMs: r.durationMs,
      };
    },
    readFile: () => unsupported("read a file"),
    writeFile: () => unsupported("write a file"),
    listDir: (): Promise<SessionDirEntry[]> => unsupported("list a directory"),
    close(): Promise<void> {
      alive = false;
      return Promise.resolve();
    },
    [Symbol.asyncDispose](): Promise<void> {
      alive = false;
      return Promise.resolve();
    },
  };
}
