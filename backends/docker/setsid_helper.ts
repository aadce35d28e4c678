/**
 * `compileSetsidHelper`: builds the static `zu-setsid` helper (`images/runtime/zu_setsid.c`) that
 * the runtime image ships for `zu-session` (a command spawned through it starts in its own session
 * without the agent forking; see `session_agent/spawn_command.ts`). Needs a C compiler that links
 * static binaries (Debian `gcc libc6-dev`); without one the image ships no helper and the agent
 * falls back to a forking spawn.
 *
 * @example
 * ```ts ignore
 * import { compileSetsidHelper } from "./setsid_helper.ts";
 * const helper = await compileSetsidHelper();
 * if (helper) console.log(helper.path); // remove with helper.remove()
 * ```
 * @module
 */

const SOURCE = new URL("../../images/runtime/zu_setsid.c", import.meta.url);

/** A compiled helper in a temporary directory. */
export interface CompiledHelper {
  /** The static binary. */
  path: string;
  /** Removes the binary and its directory. */
  remove(): Promise<void>;
}

/** Compiles the helper with `cc -static`; `undefined` when that is not possible here. */
export async function compileSetsidHelper(cc = "gcc"): Promise<CompiledHelper | undefined> {
  if (SOURCE.protocol !== "file:") return undefined;
  let dir: string;
  try {
    dir = await Deno.makeTempDir({ prefix: "zu-setsid-" });
  } catch {
    return undefined;
  }
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  const path = `${dir}/zu-setsid`;
  try {
    const out = await new Deno.Command(cc, {
      args: ["-static", "-O2", "-o", path, decodeURIComponent(SOURCE.pathname)],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) return { path, remove };
  } catch {
    // no compiler, or not allowed to run it
  }
  await remove();
  return undefined;
}
