/**
 * Plugins (agent code loaded from a module path, `./tools/x.ts#X`) run inside a zu process: the
 * CLI when it loads and checks an agent, the jailed child of `zu run`, offline replay and harden.
 * They are trusted code, like a pytest plugin, so this is not a sandbox (the jail and the
 * container are); it keeps a plugin's mistakes from taking zu down behind the user's back:
 *
 * - `Deno.exit`, `process.exit`, `process.abort`, `close()` and a signal to zu's own process
 *   (`Deno.kill` / `process.kill` of `Deno.pid`, its group or every process) throw
 *   {@link PluginEscape} instead of ending the process, so a plugin never ends zu with its own
 *   exit code (or, through `close()`, with a silent 0). At load that is a one-line configuration
 *   error (exit 2); during a run the loop ends the run with a terminal event (exit 1).
 * - `new Worker(url, { deno: { permissions } })` throws {@link PluginEscape}: a plugin runs with
 *   zu's permissions only (without `--unstable-worker-options` Deno would end the process with
 *   code 70 instead; with it, a worker could only narrow them).
 * - An uncaught error inside a plugin's worker does not end zu (Deno would end the parent with a
 *   stack trace); the worker stops and the plugin sees its `error` event as usual.
 *
 * {@link guardPlugins} installs this once per process, before the first module-path plugin is
 * imported; zu's own entry points end the process with {@link exitProcess}, which keeps the real
 * `Deno.exit`.
 *
 * @example
 * ```ts ignore
 * import { exitProcess, guardPlugins } from "./plugin_guard.ts";
 * guardPlugins(); // before importing a plugin module
 * try {
 *   Deno.exit(3); // as a plugin might
 * } catch (e) {
 *   console.assert((e as Error).name === "PluginEscape");
 * }
 * exitProcess(0); // zu's own entry point ends the process
 * ```
 * @module
 */
import process from "node:process";
import { PluginEscape } from "../core/errors.ts";

/** The real `Deno.exit`, kept before any guard replaces it. */
const realExit: (code?: number) => never = Deno.exit;
let installed = false;

/** Ends the process with `code`, also after {@link guardPlugins}: for zu's own entry points. */
export function exitProcess(code: number): never {
  return realExit(code);
}

function escape(call: string): PluginEscape {
  return new PluginEscape(
    `a plugin called ${call}; a plugin may not end the zu process (throw an Error instead)`,
  );
}

function refuseExit(what: string): (code?: number | string | null) => never {
  return (code) => {
    throw escape(`${what}(${code === undefined || code === null ? "" : String(code)})`);
  };
}

/** A kill that refuses zu's own process (its pid, its group: 0, or every process: -1). */
function guardedKill<A extends unknown[], R>(
  what: string,
  kill: (pid: number, ...rest: A) => R,
): (pid: number, ...rest: A) => R {
  return (pid, ...rest) => {
    if (pid === Deno.pid || pid <= 0) throw escape(`${what}(${pid})`);
    return kill(pid, ...rest);
  };
}

type WorkerOptionsWithDeno = WorkerOptions & { deno?: { permissions?: unknown } };

function guardedWorker(Base: typeof Worker): typeof Worker {
  return class GuardedWorker extends Base {
    constructor(specifier: string | URL, options?: WorkerOptionsWithDeno) {
      if (options?.deno?.permissions !== undefined) {
        throw new PluginEscape(
          `a plugin started a Worker with its own permissions; a plugin runs with zu's permissions only (drop "deno.permissions")`,
        );
      }
      super(specifier, options);
      // Contain an uncaught error in the worker: without this Deno ends zu with a stack trace.
      this.addEventListener("error", (e) => e.preventDefault());
    }
  };
}

/**
 * Replaces `Deno.exit`, `process.exit` and `Worker` in this process with the guarded versions
 * described in the module doc. Idempotent.
 */
export function guardPlugins(): void {
  if (installed) return;
  installed = true;
  (Deno as { exit: (code?: number) => never }).exit = refuseExit("Deno.exit");
  (process as { exit: (code?: number | string | null) => never }).exit = refuseExit(
    "process.exit",
  );
  (process as { abort: () => never }).abort = () => {
    throw escape("process.abort()");
  };
  (globalThis as { close?: () => void }).close = () => {
    throw escape("close()");
  };
  Deno.kill = guardedKill("Deno.kill", Deno.kill.bind(Deno));
  process.kill = guardedKill("process.kill", process.kill.bind(process));
  if (typeof globalThis.Worker === "function") {
    globalThis.Worker = guardedWorker(globalThis.Worker);
  }
}
