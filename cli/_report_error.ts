/**
 * The CLI's error policy, decided by the error's class only: `Interrupted` prints "interrupted"
 * (exit 130); a `UserError` prints one `error: ...` line (exit 2); a `RunFailure` prints one
 * `error: ...` line (exit 1); anything else is our bug and prints its stack (exit 1). A URL in any
 * of them is printed with its password masked.
 *
 * @module
 */
import { DecryptError, Interrupted, RunFailure, UserError, ZuError } from "../core/errors.ts";
import { maskUrlPassword } from "../core/mask_url.ts";
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
  return maskUrlPassword(message.replace(/\s*\n\s*/g, " ").trim());
}

/** The commands whose `--json` output is a result object, on failure too. */
export const JSON_RESULT_COMMANDS: readonly string[] = ["run", "capture", "replay", "harden"];

/**
 * The command `args` runs when it is one of {@link JSON_RESULT_COMMANDS} with `--json` (before
 * any `--`), else null.
 */
export function jsonResultCommand(args: readonly string[]): string | null {
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  const command = own.find((a) => !a.startsWith("-"));
  if (command === undefined || !JSON_RESULT_COMMANDS.includes(command)) return null;
  return own.includes("--json") || own.includes("--json=true") ? command : null;
}

/**
 * The `--json` result object of a command that failed with `err`: `{ok: false, command,
 * status: "error", error: {code, kind, message}, exit_code}`, so a script reading stdout always
 * gets one object.
 */
export function failureJson(
  command: string,
  err: unknown,
  exitCode: number,
): Record<string, unknown> {
  const kind = err instanceof Interrupted
    ? "interrupted"
    : err instanceof UserError
    ? "user"
    : err instanceof RunFailure
    ? "run_failure"
    : "bug";
  const code = err instanceof ZuError ? err.code : "internal_error";
  const message = err instanceof Error ? oneLine(err.message) : String(err);
  return {
    ok: false,
    command,
    status: "error",
    error: { code, kind, message },
    exit_code: exitCode,
  };
}

/**
 * Prints `err` to `io.stderr` the way `zu` does and returns the exit code. Given the command's
 * `args`, a `run`/`capture`/`replay`/`harden` with `--json` also prints {@link failureJson} on
 * stdout.
 */
export function reportError(
  err: unknown,
  io: Pick<CliIo, "stderr"> & Partial<Pick<CliIo, "stdout">>,
  args?: readonly string[],
): number {
  const code = reportErrorText(err, io);
  const command = args ? jsonResultCommand(args) : null;
  if (command !== null && io.stdout) {
    io.stdout(JSON.stringify(failureJson(command, err, code), null, 2) + "\n");
  }
  return code;
}

function reportErrorText(err: unknown, io: Pick<CliIo, "stderr">): number {
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
  const text = maskUrlPassword(
    err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err),
  );
  io.stderr(`zu: internal error (a bug, please report it):\n${text}\n`);
  return EXIT_FAILURE;
}
