/**
 * Staging the agent directory for the container (private): a world-readable copy, symlinks and
 * host-only directories skipped, bounded in size.
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Directories never copied into the sandbox: the host's event logs, VCS and dependency trees. */
const STAGE_SKIP: ReadonlySet<string> = new Set([".zu", ".git", "node_modules"]);

/** The most an agent directory may hold to be copied in (64 MiB). */
const STAGE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Copies the agent directory into a fresh world-readable staging directory (the container runs
 * as an unprivileged user that cannot read a private home or temp directory). Symlinks are
 * skipped, never followed, so a link cannot pull host files into the box.
 */
export async function stageAgentDir(agentDir: string): Promise<string> {
  const stage = await Deno.makeTempDir({ prefix: "zu_sandbox_agent_" });
  let total = 0;
  const copy = async (from: string, to: string): Promise<void> => {
    await Deno.chmod(to, 0o755);
    for await (const entry of Deno.readDir(from)) {
      if (entry.isSymlink || STAGE_SKIP.has(entry.name)) continue;
      const src = `${from}/${entry.name}`;
      const dst = `${to}/${entry.name}`;
      if (entry.isDirectory) {
        await Deno.mkdir(dst);
        await copy(src, dst);
      } else if (entry.isFile) {
        total += (await Deno.lstat(src)).size;
        if (total > STAGE_MAX_BYTES) {
          throw new UserError(
            "agent_invalid",
            `Cannot copy agent "${agentDir}" into the sandbox: it holds more than ${STAGE_MAX_BYTES} bytes`,
          );
        }
        await Deno.copyFile(src, dst);
        await Deno.chmod(dst, 0o644);
      }
    }
  };
  try {
    await copy(agentDir, stage);
  } catch (e) {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
    throw e;
  }
  return stage;
}
