/**
 * Spawns a `run` frame's command in a new session and process group (so that a kill of `-pid`
 * reaches its whole tree). With the static `zu-setsid` helper (shipped in the runtime image at
 * {@link SETSID_HELPER_PATH}) the spawn is a `posix_spawn` of the helper, which calls `setsid`
 * and execs the command: about 1 ms faster than `detached: true`, which makes Deno fork. Without
 * the helper it falls back to `detached: true`. Either way the child's pid is its session id and
 * group id once it runs.
 *
 * @example
 * ```ts ignore
 * import { findSetsidHelper, spawnInSession } from "./spawn_command.ts";
 * const child = spawnInSession(["id"], { stdin: false }, findSetsidHelper());
 * console.log((await child.output()).code);
 * ```
 * @module
 */
import { SETSID_HELPER_PATH } from "./agent_path.ts";

export { SETSID_HELPER_PATH };

/** What a command is spawned with besides its argv. */
export interface SpawnSettings {
  /** Working directory (default: the agent's). */
  cwd?: string;
  /** Variables added to the agent's environment. */
  env?: Record<string, string>;
  /** A piped stdin (else `/dev/null`). */
  stdin: boolean;
}

/** The helper at `path` when it is an executable file, else `null` (checked once, at start). */
export function findSetsidHelper(path: string = SETSID_HELPER_PATH): string | null {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0 ? path : null;
  } catch {
    return null;
  }
}

/** Spawns `argv` in a new session, through `helper` when given (see the module doc). */
export function spawnInSession(
  argv: readonly string[],
  settings: SpawnSettings,
  helper: string | null,
): Deno.ChildProcess {
  const [cmd, ...args] = argv;
  return new Deno.Command(helper ?? cmd!, {
    args: helper ? [...argv] : args,
    ...(settings.cwd !== undefined ? { cwd: settings.cwd } : {}),
    ...(settings.env !== undefined ? { env: settings.env } : {}),
    stdin: settings.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    ...(helper ? {} : { detached: true }),
  }).spawn();
}
