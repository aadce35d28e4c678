/**
 * `zu run [agent]`: one live run in the Deno permission jail; events land in the event log.
 *
 * @module
 */
import { bool, type CommandDef, str } from "./_command.ts";
import { eventLogPath, loadAgent } from "./_agent.ts";
import { openEventLog } from "./_event_log.ts";
import { permissionsFor, runJailed } from "./_jail.ts";
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

/** `zu run`. */
export const runCommand: CommandDef = {
  name: "run",
  summary: "Run an agent live, in a child process jailed by Deno's permissions",
  description:
    `The agent runs in "deno run --no-prompt --cached-only" with --allow-net limited to its
declared hosts and the model's host, private and metadata ranges denied, read on its own
directory, and no run, ffi or sys. "zu explain-permissions" prints the exact flags.`,
  positionals: [{ ...AGENT_ARG }],
  flags: { ...RUN_FLAGS },
  examples: ["zu run my-agent", "zu run my-agent --json --db runs.db"],
  run: async (ctx) => {
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const { perms, dns } = await permissionsFor(ctx.io, agent, { mode: "live", resolve: true });
    const db = eventLogPath(ctx.io, agent, str(ctx, "db"));
    const sink = await openEventLog(ctx.io, db, {
      mustExist: false,
      encryption: str(ctx, "db") ? "none" : agent.config.event_sink?.encryption ?? "none",
    });
    try {
      const run = await runJailed(ctx.io, agent, { mode: "live", perms, dns, sink });
      return reportRun(ctx.io, {
        result: run.result.result as RunResultView,
        events: run.events,
        db,
        json: bool(ctx, "json"),
      });
    } finally {
      await sink.close();
    }
  },
};
