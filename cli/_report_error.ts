/**
 * The CLI's error policy, decided by the error's class only: `Interrupted` prints "interrupted"
 * (exit 130); a `UserError` prints one `error: ...` line (exit 2); a `RunFailure` prints one
 * `error: ...` line (exit 1); anything else is our bug and prints its stack (exit 1).
 *
 * @module
 */
import { DecryptError, Interrupted, RunFailure, UserError } from "../core/errors.ts";
import type { CliIo } from "./_io.ts";

/** What a `DecryptError` adds: where the CLI reads keys from. */
export const KEY_HINT =
  "; set the key it was written with (ZU_EVENT_KEY, ZU_EVENT_KEY_<id> or ZU_FIXTURE_KEY)";

/** Exit code of a user error (the user's mistake or the environment). */
export const EXIT_USER = 2;
/** Exit code of a failed run or check, and of a bug. */
export const EXIT_FAILURE = 1;
/** Exit code of an interrupted command (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/** Prints `err` to `io.stderr` the way `zu` does and returns the exit code. */
export function reportError(err: unknown, io: Pick<CliIo, "stderr">): number {
  if (err instanceof Interrupted) {
    io.stderr("zu: interrupted\n");
    return EXIT_INTERRUPTED;
  }
  if (err instanceof UserError) {
    const hint = err instanceof DecryptError ? KEY_HINT : "";
    io.stderr(`error: ${oneLine(err.message)}${hint}\n`);
    return EXIT_USER;
  }
  if (err instanceof RunFailure) {
    io.stderr(`error: ${oneLine(err.message)}\n`);
    return EXIT_FAILURE;
  }
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  io.stderr(`zu: internal error (a bug, please report it):\n${text}\n`);
  return EXIT_FAILURE;
}
