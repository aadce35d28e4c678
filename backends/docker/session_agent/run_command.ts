/**
 * Runs one `run` frame inside the sandbox: the command in a new session and process group
 * (`setsid`), stdin from the frame's text or at end of file at once (never the control channel),
 * stdout and stderr streamed back as `out` frames up to the cap (then drained and dropped,
 * `truncated`), and a timeout or a cancel that SIGKILLs the whole group and every process still
 * in the command's session. The agent itself is never killed by it.
 *
 * @example
 * ```ts ignore
 * import { runCommand } from "./run_command.ts";
 * const ctl = new AbortController();
 * await runCommand({ t: "run", id: 1, argv: ["id"], timeout_ms: 5000, max_output: 1 << 20 },
 *   (f) => Promise.resolve(console.log(f)), ctl.signal);
 * ```
 * @module
 */
import { type HostFrame, MAX_CHUNK_BYTES, toBase64 } from "./frames.ts";
import { spawnInSession } from "./spawn_command.ts";

/** Sends one frame back to the host. */
export type Emit = (frame: Record<string, unknown>) => Promise<void>;

type RunFrame = Extract<HostFrame, { t: "run" }>;

/** How long the pipes may stay open after the command's group was killed. */
const DRAIN_AFTER_KILL_MS = 300;

/**
 * SIGKILLs the process group `pid` and every process whose session is `pid`; with `alive` (the
 * child was not reaped yet, so `pid` is still its) the process `pid` itself too, which may not
 * have called `setsid` yet.
 */
export function killTree(pid: number, alive = false): void {
  if (alive) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync("/proc")].map((e) => e.name).filter((n) => /^[0-9]+$/.test(n));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${name}/stat`);
      // Fields after the ")" that closes the command name: state ppid pgrp session …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) === pid || Number(fields[2]) === pid) {
        Deno.kill(Number(name), "SIGKILL");
      }
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  which: 1 | 2,
  id: number,
  emit: Emit,
  budget: { left: number; truncated: boolean },
  stop: Promise<void>,
): Promise<void> {
  const reader = stream.getReader();
  let stopped = false;
  stop.then(() => {
    stopped = true;
    reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || stopped) return;
      let chunk = value;
      if (chunk.length > budget.left) {
        budget.truncated = true;
        chunk = chunk.subarray(0, budget.left);
      }
      budget.left -= chunk.length;
      for (let at = 0; at < chunk.length; at += MAX_CHUNK_BYTES) {
        await emit({
          t: "out",
          id,
          stream: which,
          data: toBase64(chunk.subarray(at, at + MAX_CHUNK_BYTES)),
        });
      }
    }
  } catch {
    // cancelled after a kill
  } finally {
    reader.releaseLock();
  }
}

/**
 * Runs the command of `frame`; resolves after its `exit` (or `err`) frame was sent. `setsid` is
 * the `zu-setsid` helper (see `spawn_command.ts`), `null` to spawn with `detached: true`.
 */
export async function runCommand(
  frame: RunFrame,
  emit: Emit,
  cancel: AbortSignal,
  setsid: string | null = null,
): Promise<void> {
  const started = performance.now();
  const argv = frame.argv ?? ["/bin/sh", "-c", frame.sh ?? ""];
  const cmd = argv[0];
  let child: Deno.ChildProcess;
  try {
    child = spawnInSession(argv, {
      ...(frame.cwd !== undefined ? { cwd: frame.cwd } : {}),
      ...(frame.env !== undefined ? { env: frame.env } : {}),
      stdin: frame.stdin !== undefined,
    }, setsid);
  } catch (error) {
    const notFound = error instanceof Deno.errors.NotFound;
    const message = `zu-session: cannot run "${cmd}": ${
      error instanceof Error ? error.message : String(error)
    }\n`;
    await emit({
      t: "out",
      id: frame.id,
      stream: 2,
      data: toBase64(new TextEncoder().encode(message)),
    });
    await emit({
      t: "exit",
      id: frame.id,
      code: notFound ? 127 : 126,
      truncated: false,
      timed_out: false,
      duration_ms: Math.round(performance.now() - started),
    });
    return;
  }
  let killed = false;
  let reaped = false;
  let stopDrain!: () => void;
  const drainStopped = new Promise<void>((resolve) => (stopDrain = resolve));
  const kill = () => {
    if (killed) return;
    killed = true;
    killTree(child.pid, !reaped);
    // A process that left the group (and so escaped the kill) may hold the pipes open.
    setTimeout(stopDrain, DRAIN_AFTER_KILL_MS);
  };
  const timer = setTimeout(kill, frame.timeout_ms);
  cancel.addEventListener("abort", kill, { once: true });
  if (frame.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    writer.write(new TextEncoder().encode(frame.stdin)).then(() => writer.close()).catch(() => {});
  }
  const budget = [
    { left: frame.max_output, truncated: false },
    { left: frame.max_output, truncated: false },
  ] as const;
  const status = child.status.finally(() => (reaped = true));
  // As with `docker exec`, a background process that keeps the pipes open holds the result until
  // the timeout; one that closed them outlives the command.
  await Promise.all([
    pump(child.stdout, 1, frame.id, emit, budget[0], drainStopped),
    pump(child.stderr, 2, frame.id, emit, budget[1], drainStopped),
    status,
  ]);
  clearTimeout(timer);
  cancel.removeEventListener("abort", kill);
  const s = await status;
  stopDrain();
  await emit({
    t: "exit",
    id: frame.id,
    ...(s.signal ? { signal: s.signal } : { code: s.code }),
    truncated: budget[0].truncated || budget[1].truncated,
    timed_out: killed,
    duration_ms: Math.round(performance.now() - started),
  });
}
