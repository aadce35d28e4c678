/**
 * Reading the capture bundle a command replays, with keys from the environment.
 *
 * @module
 */
import type { Bundle } from "../harness/bundle.ts";
import type { LoadedAgent } from "./_agent.ts";
import { resolvePath } from "./_event_log.ts";
import type { CliIo } from "./_io.ts";

/** Reads the agent's bundle (or `flag`); a missing, malformed or undecryptable one is a `UserError`. */
export async function loadBundle(
  io: CliIo,
  agent: LoadedAgent,
  flag: string | undefined,
): Promise<{ path: string; bundle: Bundle }> {
  const { bundlePath, readBundle } = await import("../harness/bundle.ts");
  const path = flag ? resolvePath(io.cwd, flag) : bundlePath(agent.dir);
  const bundle = await readBundle(path, { env: io.envWithPrefix("ZU_") });
  return { path, bundle };
}
