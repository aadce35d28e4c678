/**
 * The `zu` command line: `main(args, io?)` parses, dispatches to one command and returns the
 * exit code (0 success, 1 the run or check failed, 2 the user's mistake or the environment, 130
 * interrupted). The error's class decides (see {@link reportError}): a `UserError` or a
 * `RunFailure` prints one `error: ...` line; anything else is a bug and prints its stack.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const code = await main(["explain-permissions", "fixtures/agents/shop-price"]);
 * ```
 * @module
 */
import { exitProcess } from "../agent/plugin_guard.ts";
import { Interrupted } from "../core/errors.ts";
import { type CommandDef, dispatch } from "./_command.ts";
import { type CliIo, defaultIo } from "./_io.ts";
import { reportError } from "./_report_error.ts";
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
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USER, reportError } from "./_report_error.ts";

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
    return reportError(err, cliIo, args);
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) exitProcess(130);
    interrupted = true;
    controller.abort(new Interrupted());
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
  // Not Deno.exit: after a module-path plugin was loaded that one refuses (see plugin_guard.ts).
  exitProcess(code);
}
