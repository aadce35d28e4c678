/**
 * `zu run [agent]`: one live run in the Deno permission jail; events land in the event log.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { bool, type CommandDef } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { runLive } from "./_live_run.ts";
import { reportRun, type RunResultView } from "./_run_report.ts";

/** Flags shared by the commands that run an agent. */
export const RUN_FLAGS = {
  db: {
    type: "string",
    placeholder: "path",
    description: "Event log to append to (default: the agent's event_sink, else .zu/events.db)",
  },
  json: { type: "boolean", description: "Print the outcome as JSON" },
} as const;

/** The agent positional shared by agent commands. */
export const AGENT_ARG = {
  name: "agent",
  description: "Agent directory or agent.yaml (default: .)",
  optional: true,
} as const;

/**
 * zu's bookkeeping after a live run, best effort: re-record `<agent>/track.json` on success
 * (unless tracking is off) and append one line to `<agent>/cost.jsonl`.
 */
export async function afterRun(
  agentDir: string,
  agentArg: string,
  events: Event[],
  r: { result: RunResultView; task: string; model: string | null; replayed_track?: boolean },
  track: boolean,
): Promise<string[]> {
  const lines: string[] = [];
  try {
    if (track && r.result.status === "success") {
      const { recordTrack } = await import("../agent/track.ts");
      await recordTrack(events, r.task, r.model).save(`${agentDir}/track.json`);
      lines.push(`track:  ${agentDir}/track.json`);
    }
  } catch {
    // best effort, as zu
  }
  try {
    const { summarizeCost } = await import("../agent/cost.ts");
    const c = summarizeCost(events);
    const line = {
      at: new Date().toISOString(),
      agent: agentArg,
      status: r.result.status,
      replayed: r.replayed_track ?? false,
      model_calls: c.model_calls,
      input_tokens: c.input_tokens,
      output_tokens: c.output_tokens,
      total_tokens: c.input_tokens + c.output_tokens,
      usd: c.usd === null ? null : Math.round(c.usd * 10000) / 10000,
      replay_steps: c.replay_steps,
      model_calls_saved: c.model_calls_saved,
      model: c.model,
    };
    await Deno.writeTextFile(`${agentDir}/cost.jsonl`, JSON.stringify(line) + "\n", {
      append: true,
    });
  } catch {
    // best effort, as zu
  }
  return lines;
}

/** `zu run`. */
export const runCommand: CommandDef = {
  name: "run",
  summary: "Run an agent live, in a child process jailed by Deno's permissions",
  description:
    `The agent runs in "deno run --no-prompt --cached-only" with --allow-net limited to its
declared hosts and the model's host, private and metadata ranges denied, read on its own
directory, and no run, ffi or sys. "zu explain-permissions" prints the exact flags.
With --sandboxed that jailed child runs inside the zu-runtime container on an internal network
whose only way out is an egress proxy allowing the same hosts; its events and the proxy's
decisions land in the same event log. Build the image first with "zu sandbox image build".`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    ...RUN_FLAGS,
    "no-track": {
      type: "boolean",
      description: "Neither replay <agent>/track.json nor re-record it after a successful run",
    },
    sandboxed: {
      type: "boolean",
      description:
        "Run the jailed agent inside the zu-runtime container, behind an egress proxy (needs Docker)",
    },
  },
  examples: [
    "zu run my-agent",
    "zu run my-agent --json --db runs.db",
    "zu run my-agent --sandboxed",
  ],
  run: async (ctx) => {
    if (bool(ctx, "sandboxed")) {
      const { runSandboxedCommand } = await import("./_run_sandboxed.ts");
      return await runSandboxedCommand(ctx);
    }
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const track = !bool(ctx, "no-track");
    const run = await runLive(ctx, agent, { childOptions: { track } });
    const r = run.result as {
      result: RunResultView;
      task: string;
      model: string | null;
      replayed_track?: boolean;
    };
    const lines = await afterRun(agent.dir, agent.arg, run.events, r, track);
    return reportRun(ctx.io, {
      result: r.result,
      events: run.events,
      db: run.db,
      json: bool(ctx, "json"),
      extra: { replayed_track: r.replayed_track ?? false },
      lines,
    });
  },
};
