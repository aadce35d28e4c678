/**
 * `zu run [agent]`: one live run in the Deno permission jail; events land in the event log.
 *
 * @module
 */
import { bool, type CommandDef } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { runLive } from "./_live_run.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { SECRET_FLAGS } from "./_secret_flags.ts";
import { reportRun } from "./_run_report.ts";

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

/** `zu run`. */
export const runCommand: CommandDef = {
  name: "run",
  summary: "Run an agent live, in a child process jailed by Deno's permissions",
  description:
    `The agent runs in "deno run --no-prompt --cached-only" with --allow-net limited to its
declared hosts and zu's model broker on 127.0.0.1 (the provider's key stays in zu; the child
never sees it nor reaches the model host), private and metadata ranges denied, read on its own
directory, and no run, ffi or sys. "zu explain-permissions" prints the exact flags.
With --sandboxed that jailed child runs inside the zu-runtime container on an internal network
whose only way out is an egress proxy allowing the same hosts; its events and the proxy's
decisions land in the same event log. Build the image first with "zu sandbox image build".`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    ...RUN_FLAGS,
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
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
    const { recordRun } = await import("../runner/after_run.ts");
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const track = !bool(ctx, "no-track");
    const run = await runLive(ctx, agent, { track });
    const lines = await recordRun(agent.dir, { ...run, agent: agent.arg, track });
    return reportRun(ctx.io, {
      result: run.result,
      events: run.events,
      db: run.db,
      json: bool(ctx, "json"),
      extra: { replayed_track: run.replayedTrack },
      lines,
    });
  },
};
