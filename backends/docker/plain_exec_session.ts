/**
 * `plainExecSession`: an `ExecSession` over plain execs (one `docker exec` per call), the
 * fallback for images without `zu-session`. Commands run as `execEntrypoint` runs them with
 * `plainExec: true`, so a timeout kills the whole sandbox (Docker cannot kill one exec). `cwd`,
 * the file operations and `sh` commands need `/bin/sh` in the image (files: `cat`, `base64`, `wc`;
 * busybox has them). `listDir` cannot report names holding a newline.
 *
 * @example
 * ```ts ignore
 * import { plainExecSession } from "./plain_exec_session.ts";
 * const session = plainExecSession(backend, box);
 * console.log((await session.run({ sh: "echo hi", cwd: "/tmp" })).stdout);
 * ```
 * @module
 */
import type {
  ExecOptions,
  ExecResult,
  ExecSession,
  SandboxHandle,
  SessionCommand,
  SessionDirEntry,
  SessionResult,
} from "../../core/types.ts";
import { SessionLost } from "./session_client.ts";
import { DEFAULT_READ_MAX, DEFAULT_SESSION_TIMEOUT_MS } from "./session_client.ts";

/** What {@linkcode plainExecSession} needs of a backend. */
export interface PlainExecBackend {
  /** Runs one command with one exec (`plainExec: true` asks for no session). */
  execEntrypoint(
    handle: SandboxHandle,
    cmd: string[],
    options?: ExecOptions & { plainExec?: boolean },
  ): Promise<ExecResult>;
}

const LIST_SCRIPT = 'cd -- "$0" || exit 2; for f in * .*; do ' +
  '{ [ "$f" = . ] || [ "$f" = .. ]; } && continue; { [ -e "$f" ] || [ -L "$f" ]; } || continue; ' +
  'if [ -L "$f" ]; then k=symlink; s=0; elif [ -d "$f" ]; then k=dir; s=0; ' +
  'elif [ -f "$f" ]; then k=file; s=$(wc -c < "$f"); else k=other; s=0; fi; ' +
  'printf "%s\\t%s\\t%s\\n" "$k" "$s" "$f"; done';

/** An `ExecSession` over plain execs in `handle` (see the module doc). */
export function plainExecSession(backend: PlainExecBackend, handle: SandboxHandle): ExecSession {
  let closed = false;
  const exec = (cmd: string[], options: ExecOptions = {}) => {
    if (closed) return Promise.reject(new SessionLost(handle.id, "closed"));
    return backend.execEntrypoint(handle, cmd, { ...options, plainExec: true });
  };
  const must = (r: ExecResult, what: string): ExecResult => {
    if (r.exitCode !== 0 || r.timedOut) {
      throw new Error(`Cannot ${what} in the sandbox: exit ${r.exitCode}: ${r.stderr.trim()}`);
    }
    return r;
  };
  return {
    sandboxId: handle.id,
    get alive() {
      return !closed;
    },
    async run(command: SessionCommand): Promise<SessionResult> {
      if ((command.argv === undefined) === (command.sh === undefined)) {
        throw new TypeError("A session command needs exactly one of argv and sh");
      }
      let cmd = command.argv ?? ["/bin/sh", "-c", command.sh!];
      if (command.cwd !== undefined) {
        cmd = ["/bin/sh", "-c", 'cd -- "$0" && exec "$@"', command.cwd, ...cmd];
      }
      const r = await exec(cmd, {
        timeoutMs: command.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
        ...(command.maxOutputBytes !== undefined ? { maxOutputBytes: command.maxOutputBytes } : {}),
        ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
        ...(command.env !== undefined ? { env: command.env } : {}),
        ...(command.signal !== undefined ? { signal: command.signal } : {}),
      });
      return {
        exitCode: r.timedOut ? null : r.exitCode,
        signal: r.timedOut ? "SIGKILL" : null,
        stdout: r.stdout,
        stderr: r.stderr,
        truncated: r.truncated,
        timedOut: r.timedOut,
        durationMs: r.durationMs,
      };
    },
    async readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
      const max = options.maxBytes ?? DEFAULT_READ_MAX;
      const size = Number(must(await exec(["/bin/sh", "-c", 'wc -c < "$0"', path]), "read").stdout);
      if (!(size <= max)) throw new Error(`Cannot read "${path}": ${size} bytes, more than ${max}`);
      const r = must(
        await exec(["/bin/sh", "-c", 'base64 < "$0"', path], {
          maxOutputBytes: Math.ceil(max / 3) * 4 + Math.ceil(max / 57) + 16,
        }),
        `read "${path}"`,
      );
      return Uint8Array.fromBase64(r.stdout.replace(/\s+/g, ""));
    },
    async writeFile(path: string, data: Uint8Array, options: { mode?: number } = {}) {
      const chmod = options.mode !== undefined
        ? ` && chmod ${(options.mode & 0o777).toString(8)} "$0"`
        : "";
      must(
        await exec(["/bin/sh", "-c", `cat > "$0"${chmod}`, path], { stdin: data }),
        `write "${path}"`,
      );
    },
    async listDir(path: string): Promise<SessionDirEntry[]> {
      const r = must(await exec(["/bin/sh", "-c", LIST_SCRIPT, path]), `list "${path}"`);
      return r.stdout.split("\n").filter(Boolean).map((line) => {
        const [kind, size, ...name] = line.split("\t");
        return {
          name: name.join("\t"),
          kind: kind === "file" || kind === "dir" || kind === "symlink" ? kind : "other",
          size: Number(size) || 0,
        };
      });
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
    [Symbol.asyncDispose]() {
      closed = true;
      return Promise.resolve();
    },
  };
}
