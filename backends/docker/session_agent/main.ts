/**
 * `zu-session`: the in-sandbox agent of the exec session. One process per sandbox, started by
 * one attached `docker exec` as the sandbox user; it reads length-prefixed JSON frames on stdin
 * and answers on stdout (see `frames.ts`). Nothing listens: no socket, no port. Several commands
 * may run at once (by `id`). A bad frame, or the end of stdin, kills every command still running
 * and ends the agent (a bad frame with exit code 2 and one line on stderr).
 *
 * Started as `deno run --no-check --no-config --no-lock --allow-run --allow-read --allow-write
 * /opt/zu/backends/docker/session_agent/main.ts [--setsid=PATH]` (see `exec_session.ts`).
 * Before its `hello` it runs one throwaway command (`warm_up.ts`). Commands are spawned through
 * the static `zu-setsid` helper at `PATH` (default `/usr/local/bin/zu-setsid`, in the runtime
 * image) when it is there, else with a forking `detached` spawn (see `spawn_command.ts`).
 *
 * @example
 * ```ts ignore
 * // In a sandbox: the host writes frames to this program's stdin.
 * import { serveSession } from "./main.ts";
 * await serveSession(Deno.stdin.readable, Deno.stdout.writable);
 * ```
 * @module
 */
import {
  encodeFrame,
  FrameError,
  FrameReader,
  type HostFrame,
  parseHostFrame,
  SESSION_PROTO,
} from "./frames.ts";
import { runCommand } from "./run_command.ts";
import { listDir, readFile, writeChunk } from "./fs_ops.ts";
import { findSetsidHelper } from "./spawn_command.ts";
import { warmUp } from "./warm_up.ts";

/** The agent's name and version in `hello`. */
export const AGENT_NAME = "zu-session/1";

/**
 * Serves one session on `input`/`output`; resolves with the exit code the agent should use.
 * `setsid` is the `zu-setsid` helper commands are spawned through (`null`: a forking spawn).
 */
export async function serveSession(
  input: ReadableStream<Uint8Array>,
  output: WritableStream<Uint8Array>,
  log: (line: string) => void = (line) => console.error(line),
  setsid: string | null = findSetsidHelper(),
): Promise<number> {
  const writer = output.getWriter();
  let writing: Promise<void> = Promise.resolve();
  let broken = false;
  const emit = (frame: Record<string, unknown>): Promise<void> => {
    const bytes = encodeFrame(frame);
    writing = writing.then(() => broken ? undefined : writer.write(bytes)).catch(() => {
      broken = true;
    });
    return writing;
  };
  const running = new Map<number, { cancel: AbortController }>();
  const failedWrites = new Set<number>();
  const writeChains = new Map<number, Promise<void>>();
  const tasks = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    tasks.add(p);
    p.finally(() => tasks.delete(p));
  };
  const handle = (frame: HostFrame): boolean => {
    switch (frame.t) {
      case "close":
        return false;
      case "run": {
        if (running.has(frame.id)) throw new FrameError(`Cannot run: id ${frame.id} is in use`);
        const cancel = new AbortController();
        running.set(frame.id, { cancel });
        track(
          runCommand(frame, emit, cancel.signal, setsid).finally(() => running.delete(frame.id)),
        );
        return true;
      }
      case "cancel":
        running.get(frame.id)?.cancel.abort();
        return true;
      case "read":
        track(readFile(frame, emit));
        return true;
      case "list":
        track(listDir(frame, emit));
        return true;
      case "write": {
        // Chunks of one file are written in order: the next waits for the previous; after a
        // failed chunk the rest of that file is dropped (its `err` was sent).
        const p = (writeChains.get(frame.id) ?? Promise.resolve()).then(async () => {
          if (!frame.append) failedWrites.delete(frame.id);
          if (failedWrites.has(frame.id)) return;
          if (!(await writeChunk(frame, emit))) failedWrites.add(frame.id);
        }).finally(() => {
          if (frame.final && writeChains.get(frame.id) === p) {
            writeChains.delete(frame.id);
            failedWrites.delete(frame.id);
          }
        });
        writeChains.set(frame.id, p);
        track(p);
        return true;
      }
    }
  };
  // Warm before hello: a session is ready when its first command is as fast as the next ones.
  await warmUp(setsid);
  await emit({ t: "hello", proto: SESSION_PROTO, agent: AGENT_NAME, pid: Deno.pid });
  const reader = new FrameReader();
  let code = 0;
  try {
    outer: for await (const chunk of input) {
      for (const body of reader.push(chunk)) {
        if (!handle(parseHostFrame(body))) break outer;
      }
    }
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    log(`zu-session: ${error.message}; closing`);
    code = 2;
  }
  for (const r of running.values()) r.cancel.abort();
  await Promise.allSettled([...tasks]);
  await writing;
  await writer.close().catch(() => {});
  return code;
}

if (import.meta.main) {
  const flag = Deno.args.find((a) => a.startsWith("--setsid="));
  const setsid = findSetsidHelper(flag?.slice("--setsid=".length));
  const code = await serveSession(Deno.stdin.readable, Deno.stdout.writable, undefined, setsid);
  Deno.exit(code);
}
