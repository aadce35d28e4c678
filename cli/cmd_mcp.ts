/**
 * `zu mcp`: zu as an MCP server on stdio, so an assistant can drive it: run an agent, replay and
 * harden it offline, read the event log, list what waits for a human and give verdicts. Each tool
 * goes through the same code as its `zu` command (`cli/mcp/`, `docs/mcp.md`).
 *
 * @module
 */
import type { EventSink, PendingSource } from "../core/types.ts";
import { bool, type CommandContext, type CommandDef, type FlagDef, str } from "./_command.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import type { CliIo } from "./_io.ts";
import { SECRET_FLAGS } from "./_secret_flags.ts";
import type { CliCall, McpDoors, RunOutcome, RunRequest } from "./mcp/doors.ts";

/** The server's flags a command run by a tool gets too, when that command has them. */
const FORWARDED = [...Object.keys(SECRET_FLAGS), ...Object.keys(CLEARANCE_FLAGS)];

/** `--name=value` for each forwarded flag the server was given and `def` accepts. */
function forwardedArgs(ctx: CommandContext, accepts: Record<string, FlagDef>): string[] {
  const out: string[] = [];
  for (const name of FORWARDED) {
    if (!(name in accepts)) continue;
    const v = ctx.flags[name];
    if (typeof v === "string") out.push(`--${name}=${v}`);
    else if (Array.isArray(v)) { for (const item of v) out.push(`--${name}=${item}`); }
  }
  return out;
}

/** The doors of `ctx`: its io with stdout kept for the protocol (everything else to stderr). */
function mcpDoors(ctx: CommandContext, io: CliIo): McpDoors {
  const db = str(ctx, "db");
  const track = !bool(ctx, "no-track");
  let sources: Promise<PendingSource[]> | undefined;
  return {
    ...(db !== undefined ? { db } : {}),
    cli: async (args: readonly string[], signal: AbortSignal): Promise<CliCall> => {
      const { rootCommand } = await import("./commands.ts");
      const def = rootCommand().subcommands?.find((c) => c.name === args[0]);
      const { callCli } = await import("./cli_call.ts");
      // Kept for the error line (bounded); shown on the server's stderr as it comes.
      return await callCli(io, [...args, ...forwardedArgs(ctx, def?.flags ?? {})], {
        onStderr: (t) => io.stderr(t),
        signal,
      });
    },
    run: async (request: RunRequest, signal: AbortSignal): Promise<RunOutcome> => {
      const { loadAgent } = await import("./_agent.ts");
      const { runLive } = await import("./_live_run.ts");
      const { recordRun } = await import("../runner/after_run.ts");
      const runIo: CliIo = { ...io, signal };
      delete runIo.readStdin;
      const agent = await loadAgent(runIo, request.agent);
      const flags = { ...ctx.flags, ...(request.db !== undefined ? { db: request.db } : {}) };
      const run = await runLive({ ...ctx, flags, io: runIo }, agent, {
        track,
        ...(request.query !== undefined ? { task: request.query } : {}),
        ...(request.onEvent ? { onEvent: request.onEvent } : {}),
      });
      await recordRun(agent.dir, { ...run, agent: agent.arg, track });
      return { result: run.result, events: run.events, db: run.db };
    },
    openLog: async (path: string | undefined): Promise<EventSink> => {
      const { openReadLog } = await import("./_event_log.ts");
      return await openReadLog(io, null, path ?? db);
    },
    // Made once, on first use, and kept for the server's life (as zu serve makes them at start).
    pendingSources: (): Promise<PendingSource[]> =>
      sources ??= import("./_serve_pending.ts")
        .then((m) => m.servePendingSources({ ...ctx, io }))
        .catch((err) => {
          sources = undefined; // a failure is not kept: the next call tries again
          throw err;
        }),
  };
}

/** `zu mcp`. */
export const mcpCommand: CommandDef = {
  name: "mcp",
  summary: "Serve zu to an assistant over MCP (stdio): run, replay, harden, events, verdicts",
  description: `Speaks the Model Context Protocol on stdin/stdout (stdout carries the protocol only;
diagnostics go to stderr) until stdin ends. Tools: run (a live run, jailed, as "zu run"), replay
and harden (offline, as "zu replay" and "zu harden"), events (the runs in the event log, or one
run's events), pending (held egress requests and paused runs) and verdict (allow/deny a
clearance, approve/reject a paused run, which then resumes in the jail). Start it from an
assistant's MCP configuration; see docs/mcp.md.`,
  flags: {
    db: {
      type: "string",
      placeholder: "path",
      description:
        "Event log the tools use unless a call names one (default: the agent's event_sink, else .zu/events.db)",
    },
    "no-track": {
      type: "boolean",
      description: "Runs neither replay an agent's track.json nor re-record it",
    },
    "no-verdicts": {
      type: "boolean",
      description:
        "Leave out the verdict tool: the assistant sees what waits, a human decides (zu approve, zu clear)",
    },
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
  },
  examples: ["zu mcp", "zu mcp --db .zu/events.db"],
  run: async (ctx) => {
    const { serveMcp } = await import("./mcp/mcp_server.ts");
    const { VERSION } = await import("./version.ts");
    // Stdout is the protocol's: anything printed by accident goes to stderr instead.
    const io: CliIo = { ...ctx.io, stdout: (t) => ctx.io.stderr(t) };
    const saved = { log: console.log, info: console.info, debug: console.debug };
    console.log = console.info = console.debug = console.error;
    try {
      ctx.io.stderr(`zu mcp ${VERSION}: serving on stdio\n`);
      await serveMcp({
        doors: mcpDoors(ctx, io),
        version: VERSION,
        verdicts: !bool(ctx, "no-verdicts"),
        log: (line) => ctx.io.stderr(`${line}\n`),
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
      ctx.io.stderr("zu mcp: stdin closed, stopped\n");
      return 0;
    } finally {
      Object.assign(console, saved);
    }
  },
};
