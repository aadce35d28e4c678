/**
 * How `zu serve` runs an agent: exactly as `zu run` does (the agent loaded and checked, a live
 * run in the Deno permission jail, its event log opened as `zu run` opens it, the secrets of the
 * serve command's flags, then the track and cost bookkeeping), cancelled by the run's signal.
 *
 * @module
 */
import type { RunLauncher } from "../runner/serve/run_registry.ts";
import type { CommandContext } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { runLive } from "./_live_run.ts";

/** Options of {@link serveLauncher}. */
export interface ServeLauncherOptions {
  /** Replay and re-record `track.json` as `zu run` does. Default true. */
  track?: boolean;
}

/** The launcher `zu serve` hands its server. */
export function serveLauncher(
  ctx: CommandContext,
  options: ServeLauncherOptions = {},
): RunLauncher {
  const track = options.track ?? true;
  return async (request) => {
    const agent = await loadAgent(ctx.io, request.agent);
    return {
      run: async ({ signal, onEvent }) => {
        const { recordRun } = await import("../runner/after_run.ts");
        const io = { ...ctx.io, signal };
        const run = await runLive({ ...ctx, io }, agent, {
          track,
          onEvent,
          ...(request.task !== undefined ? { task: request.task } : {}),
        });
        await recordRun(agent.dir, { ...run, agent: agent.arg, track });
        return { status: run.result.status, result: run.result, db: run.db };
      },
    };
  };
}
