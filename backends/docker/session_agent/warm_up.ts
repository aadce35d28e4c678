/**
 * `warmUp`: runs a throwaway command {@link WARM_UP_RUNS} times through the agent's own code path
 * (frame parse, spawn, pipes, exit) before the agent says hello, so the first real commands do
 * not pay for the first spawn and for compiling that path (20–70 ms measured in a sandbox). The command is the
 * `zu-setsid` helper with no command (it prints its usage and exits 125), or without the helper
 * `deno --version` (this Deno). Its output is dropped; a failure is ignored.
 *
 * @example
 * ```ts ignore
 * import { warmUp } from "./warm_up.ts";
 * await warmUp("/usr/local/bin/zu-setsid");
 * ```
 * @module
 */
import { encodeFrame, parseHostFrame } from "./frames.ts";
import { runCommand } from "./run_command.ts";

/** How many times the warm-up command runs (the helper's run is about 1 ms). */
export const WARM_UP_RUNS = 3;

/** Runs the warm-up command (each run bounded by a 5 s timeout); never throws. */
export async function warmUp(setsid: string | null): Promise<void> {
  const argv = setsid ? [setsid] : [Deno.execPath(), "--version"];
  // Without the helper the command is a whole Deno: once is enough to warm the spawn path.
  for (let i = 0; i < (setsid ? WARM_UP_RUNS : 1); i++) {
    try {
      const frame = parseHostFrame(
        encodeFrame({ t: "run", id: 0, argv, timeout_ms: 5000, max_output: 4096 }).subarray(4),
      );
      if (frame.t !== "run") return;
      await runCommand(frame, () => Promise.resolve(), new AbortController().signal, setsid);
    } catch {
      return; // a warm-up that fails only leaves the first command slower
    }
  }
}
