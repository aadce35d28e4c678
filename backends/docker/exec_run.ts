/**
 * One exec in a running container: stdout and stderr demultiplexed and capped, stdin written
 * and half-closed, the exit code read. Docker has no API to kill one exec, so a timeout (or an
 * abort) kills the whole container, waits (bounded) until it has stopped, and reports
 * `timedOut` with exit code 137 (an abort rejects with the signal's reason).
 *
 * @module
 */
import type Dockerode from "dockerode";
import type { DockerContainer } from "./docker_client.ts";
import type { ExecResult } from "../../core/types.ts";
import { CappedCollector, FrameDemuxer } from "./exec_stream.ts";
import { startSandboxExec } from "./sandbox_exec_start.ts";

/** Options of {@linkcode runExec}. */
export interface RunExecOptions {
  /** `KEY=value` entries. */
  env: string[];
  /** Kill the container after this many ms. */
  timeoutMs: number;
  /** Cap of each of stdout and stderr. */
  maxOutputBytes: number;
  /** Bytes written to stdin, which is then closed. */
  stdin?: Uint8Array;
  /** Cancels the exec (kills the container). */
  signal?: AbortSignal;
  /** Told why the container is being killed, before the kill. */
  onKill?: (why: string) => void;
}

/** Runs `cmd` in `container` (see the module doc). */
export async function runExec(
  container: DockerContainer,
  cmd: string[],
  options: RunExecOptions,
): Promise<ExecResult> {
  const started = performance.now();
  const { exec, stream } = await startSandboxExec(container, cmd, {
    stdin: options.stdin !== undefined,
    ...(options.env !== undefined ? { env: options.env } : {}),
  });
  const out = new CappedCollector(options.maxOutputBytes);
  const err = new CappedCollector(options.maxOutputBytes);
  const demux = new FrameDemuxer((s, p) => (s === 2 ? err : out).push(p));
  let timedOut = false;
  let aborted = false;
  const done = new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => demux.push(chunk));
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    stream.on("error", (e: Error) => (timedOut || aborted ? resolve() : reject(e)));
  });
  const kill = async (why: string) => {
    options.onKill?.(why);
    await container.kill({ signal: "SIGKILL" }).catch(() => {});
    // Docker reports the kill before the container has stopped: wait (bounded) until it has.
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      container.wait({ condition: "not-running" }).catch(() => {}),
      new Promise((r) => (bound = setTimeout(r, 10_000))),
    ]);
    clearTimeout(bound);
    stream.destroy();
  };
  // The exec stream ends as soon as the processes die, before Docker answers the kill: the
  // result waits for the kill too, so a timed-out sandbox is really stopped on return.
  let killing: Promise<void> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killing ??= kill(`an exec was killed at its ${options.timeoutMs} ms timeout`);
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killing ??= kill("an exec was cancelled");
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    if (options.stdin !== undefined) {
      stream.write(options.stdin);
      stream.end();
    }
    await done;
    await killing;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  if (aborted && !timedOut) {
    throw options.signal?.reason ?? new DOMException("Aborted", "AbortError");
  }
  let exitCode = 137;
  if (!timedOut) exitCode = await exitCodeOf(exec);
  return {
    exitCode,
    stdout: out.text(),
    stderr: err.text(),
    timedOut,
    truncated: out.truncated || err.truncated,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Waits between inspects while the daemon has not recorded the exit yet: short first. */
const INSPECT_BACKOFF_MS = [1, 2, 4, 8];

async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  // The stream ends when the process does; the daemon may record the exit code a moment later.
  for (let i = 0; i < 200; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, INSPECT_BACKOFF_MS[i] ?? 10));
  }
  // The stream ended but the command still runs: the connection to the daemon dropped.
  if ((await exec.inspect()).Running) {
    throw Object.assign(
      new Error("the exec stream ended while the command was still running (connection reset)"),
      { code: "ECONNRESET" },
    );
  }
  return -1;
}
