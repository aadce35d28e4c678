/**
 * Confines the jail's reads to the agent directory's real paths. Deno checks `--allow-read`
 * against the path a program opens, not where a symlink leads, so a link inside the agent
 * directory to a file outside would hand the child that file. The directory is resolved with
 * `realpath` (the grant names real paths only), and every symlink in it must lead back inside;
 * one that leads out, or nowhere, is refused with one line before any child starts.
 *
 * @example
 * ```ts
 * import { confinedAgentDir } from "./agent_dir.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/agent.yaml`, "provider: {name: scripted}\n");
 * console.assert(await confinedAgentDir(dir) === await Deno.realPath(dir));
 * await Deno.symlink("/etc/hostname", `${dir}/leak.txt`);
 * await confinedAgentDir(dir).then(() => console.assert(false), (e) => console.assert(e.code === "agent_invalid"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Options of {@link confinedAgentDir}. */
export interface ConfinedAgentDirOptions {
  /** Refuse a directory holding more entries than this (the walk is bounded). Default 100000. */
  maxEntries?: number;
}

function inside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/**
 * The real path of `agentDir` after checking that no symlink in it leads outside. Throws a
 * `UserError` (`agent_invalid`) naming the first link that does, or that leads nowhere.
 */
export async function confinedAgentDir(
  agentDir: string,
  options: ConfinedAgentDirOptions = {},
): Promise<string> {
  const max = options.maxEntries ?? 100_000;
  let root: string;
  try {
    root = await Deno.realPath(agentDir);
  } catch (e) {
    throw new UserError(
      "agent_invalid",
      `Cannot jail agent "${agentDir}": its directory cannot be resolved (${
        e instanceof Error ? e.message.split("\n")[0] : String(e)
      })`,
    );
  }
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (++seen > max) {
        throw new UserError(
          "agent_invalid",
          `Cannot jail agent "${agentDir}": it holds more than ${max} entries to check`,
        );
      }
      const path = `${dir}/${entry.name}`;
      if (entry.isSymlink) {
        const shown = path.slice(root.length + 1);
        let target: string;
        try {
          target = await Deno.realPath(path);
        } catch {
          throw new UserError(
            "agent_invalid",
            `Cannot jail agent "${agentDir}": "${shown}" is a symlink that leads nowhere; remove it`,
          );
        }
        if (!inside(target, root)) {
          throw new UserError(
            "agent_invalid",
            `Cannot jail agent "${agentDir}": "${shown}" is a symlink to "${target}" outside the agent directory; copy the file in or remove the link`,
          );
        }
        continue; // its target is inside, so the walk reaches it anyway
      }
      if (entry.isDirectory) await walk(path);
    }
  };
  await walk(root);
  return root;
}
