/**
 * The `zu` command line: `main(args, io?)` parses, dispatches to one command and returns the
 * exit code (0 success, 1 the run or check failed, 2 usage or configuration error). A user
 * error prints one `error: ...` line; anything else is a bug and prints its stack.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const code = await main(["explain-permissions", "fixtures/agents/shop-price"]);
 * ```
 * @module
 */
import { ContainmentRequired, DecryptError, UserError, ZuError } from "../core/errors.ts";
import { type CommandDef, dispatch } from "./_command.ts";
import { type CliIo, defaultIo } from "./_io.ts";
import { rootCommand } from "./commands.ts";

export type { CliIo } from "./_io.ts";
export type {
  CommandContext,
  CommandDef,
  FlagDef,
  FlagType,
  Parsed,
  PositionalDef,
} from "./_command.ts";

/** The error codes that mean "the user can fix this" (exit 2) when not a `UserError` already. */
const USER_CODE =
  /^(usage|decrypt_failed|containment_required|codec_unknown|interrupted)$|_(invalid|missing|unavailable|not_found|exists)$/;

const KEY_HINT =
  "; set the key it was written with (ZU_EVENT_KEY, ZU_EVENT_KEY_<id> or ZU_FIXTURE_KEY)";

/**
 * The error codes of a run that failed for an outside reason (the model API down, slow or rate
 * limiting): one line, exit 1, like any other failed run. `provider_auth` (a wrong key) is the
 * user's to fix and exits 2.
 */
const RUN_FAILURE_CODE =
  /^(provider_unavailable|provider_timeout|provider_rate_limited|provider_error|fetch_failed)$/;

/** True when `err` is a run failure (one line, exit 1) rather than a bug. */
export function isRunFailure(err: unknown): err is ZuError {
  return err instanceof ZuError && RUN_FAILURE_CODE.test(err.code);
}

/** True when `err` is the user's to fix (one line, exit 2) rather than a bug. */
export function isUserFacing(err: unknown): err is Error {
  if (isRunFailure(err)) return false;
  if (
    err instanceof UserError || err instanceof DecryptError || err instanceof ContainmentRequired
  ) {
    return true;
  }
  return err instanceof ZuError && (USER_CODE.test(err.code) || err.code === "provider_auth");
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/** Runs the CLI with `args`; returns the exit code. Never calls `Deno.exit`. */
export function main(args: readonly string[], io?: CliIo): Promise<number> {
  return runCli(rootCommand(), args, io ?? defaultIo());
}

/** Runs the command tree `root` with `args`: the exit-code and error-printing policy of `zu`. */
export async function runCli(
  root: CommandDef,
  args: readonly string[],
  cliIo: CliIo,
): Promise<number> {
  try {
    return await dispatch(root, args, [root.name], cliIo);
  } catch (err) {
    if (err instanceof ZuError && err.code === "interrupted") {
      cliIo.stderr("zu: interrupted\n");
      return 130;
    }
    if (isUserFacing(err)) {
      const keyProblem = err instanceof DecryptError ||
        (err instanceof ZuError && err.code === "codec_unknown");
      const hint = keyProblem && !/ZU_\w*KEY/.test(err.message) ? KEY_HINT : "";
      cliIo.stderr(`error: ${oneLine(err.message)}${hint}\n`);
      return 2;
    }
    if (isRunFailure(err)) {
      cliIo.stderr(`error: ${oneLine(err.message)}\n`);
      return 1;
    }
    const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    cliIo.stderr(`zu: internal error (a bug, please report it):\n${text}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    controller.abort(new DOMException("Interrupted", "AbortError"));
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch {
    // no signal permission or unsupported: Ctrl-C kills the process as usual
  }
  const code = await main(Deno.args, defaultIo(controller.signal));
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch {
    // ignore
  }
  Deno.exit(code);
}
