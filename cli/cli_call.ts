/**
 * Running a `zu` command inside this process with its output captured: what the doors that are
 * not a terminal (`zu serve`'s approval verdicts, `zu mcp`'s tools) use to do exactly what the
 * command does. Stdout is collected; stderr is collected (bounded) and also handed to
 * `onStderr`; the command never reads this process's stdin.
 *
 * @module
 */
import type { CliIo } from "./_io.ts";

/** What a command printed and its exit code. */
export interface CliCall {
  /** Exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** What was written to stderr (the first 1000 writes, 4 KiB each at most). */
  stderr: string;
}

/** Runs `zu <args>` in this process with `io`'s environment and the captured streams. */
export async function callCli(
  io: CliIo,
  args: readonly string[],
  options: { onStderr?: (text: string) => void; signal?: AbortSignal } = {},
): Promise<CliCall> {
  const { runCli } = await import("./main.ts");
  const { rootCommand } = await import("./commands.ts");
  const out: string[] = [];
  const err: string[] = [];
  const callIo: CliIo = {
    ...io,
    stdout: (t) => void out.push(t),
    stderr: (t) => {
      if (err.length < 1000) err.push(t.slice(0, 4096));
      options.onStderr?.(t);
    },
    ...(options.signal ? { signal: options.signal } : {}),
  };
  delete callIo.readStdin;
  const code = await runCli(rootCommand(), [...args], callIo);
  return { code, stdout: out.join(""), stderr: err.join("") };
}
