/**
 * Finding and loading the agent a command works on.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { AgentConfig } from "../agent/config.ts";
import { sinkRegistry } from "../sinks/registry.ts";
import { resolvePath } from "./_event_log.ts";
import type { CliIo } from "./_io.ts";
import { noteWarnings } from "./_warnings.ts";

/** An agent file found and checked. */
export interface LoadedAgent {
  /** What the user typed (or `.`). */
  arg: string;
  /** The agent file. */
  file: string;
  /** Its directory. */
  dir: string;
  /** The checked configuration. */
  config: AgentConfig;
}

const NAMES = ["agent.yaml", "agent.yml", "agent.json"];

/** Resolves `arg` (a directory or an agent file; default `.`) to the agent file. */
export function findAgentFile(io: CliIo, arg: string | undefined): string {
  const shown = arg ?? ".";
  const path = resolvePath(io.cwd, shown);
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch {
    throw new UserError(
      "agent_not_found",
      `Cannot find agent "${shown}": no such file or directory; create one with "zu init ${shown}"`,
    );
  }
  if (!st.isDirectory) return path;
  for (const n of NAMES) {
    try {
      if (Deno.statSync(`${path.replace(/\/$/, "")}/${n}`).isFile) {
        return `${path.replace(/\/$/, "")}/${n}`;
      }
    } catch {
      // next
    }
  }
  throw new UserError(
    "agent_not_found",
    `Cannot find agent "${shown}": the directory holds no agent.yaml; create one with "zu init ${shown}" or pass the agent's path`,
  );
}

/**
 * Finds and loads the agent named by `arg`; every problem is a one-line `UserError`. The file's
 * warnings are printed to stderr (`warning: ...`) and carried into the command's `--json`.
 */
export async function loadAgent(io: CliIo, arg: string | undefined): Promise<LoadedAgent> {
  const file = findAgentFile(io, arg);
  const { loadAgentConfig } = await import("../agent/config.ts");
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(file, {
      env: (k: string) => io.env(k),
      sinkDrivers: sinkRegistry,
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (err instanceof SyntaxError || err instanceof TypeError) {
      throw new UserError(
        "config_invalid",
        `Cannot load agent "${file}": ${err.message.split("\n")[0]}`,
      );
    }
    throw err;
  }
  noteWarnings(io, config.warnings);
  return { arg: arg ?? ".", file, dir: config.agentDir, config };
}

/** The agent a reader command reads (`--agent`, else `./agent.yaml` when present, else none). */
export async function optionalAgent(
  io: CliIo,
  arg: string | undefined,
): Promise<LoadedAgent | null> {
  let file: string | null = null;
  try {
    file = findAgentFile(io, arg ?? ".");
  } catch (err) {
    if (arg !== undefined) throw err;
  }
  return file === null ? null : await loadAgent(io, file);
}
