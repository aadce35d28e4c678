/**
 * What the MCP door needs from the CLI: the CLI's own commands and library calls, handed in by
 * `cli/cmd_mcp.ts` so that a tool does exactly what the matching `zu` command does.
 *
 * @example
 * ```ts ignore
 * import type { McpDoors } from "./doors.ts";
 * const doors: McpDoors = {
 *   cli: (args, signal) => runZuInProcess(args, signal), // `zu <args>`, output captured
 *   run: (request, signal) => runJailed(request, signal), // as `zu run`
 *   openLog: (db) => openReadLog(db), // as `zu events`
 *   pendingSources: () => servePendingSources(), // as `zu serve`
 * };
 * ```
 * @module
 */
import type { Event } from "../../core/events.ts";
import type { EventSink, PendingSource } from "../../core/types.ts";

export type { CliCall } from "../cli_call.ts";
import type { CliCall } from "../cli_call.ts";

/** A live run to start: an agent and, optionally, another query. */
export interface RunRequest {
  /** Agent directory or agent file, relative to the server's working directory. */
  agent: string;
  /** The task's query instead of the agent's. */
  query?: string;
  /** Event log to append to instead of the agent's (or the server's `--db`). */
  db?: string;
  /** Called with each event once it is stored. */
  onEvent?: (event: Event) => void;
}

/** A finished live run. */
export interface RunOutcome {
  /** The agent's result. */
  result: { status: string; value: unknown; reason: string | null };
  /** The run's events, in order. */
  events: Event[];
  /** The event log it went to (null when it keeps no file). */
  db: string | null;
}

/** The CLI's doors the MCP tools go through. */
export interface McpDoors {
  /** Runs `zu <args>` in this process as the CLI would, its output captured. */
  cli(args: readonly string[], signal: AbortSignal): Promise<CliCall>;
  /** Runs an agent live, as `zu run` does (in the Deno permission jail). */
  run(request: RunRequest, signal: AbortSignal): Promise<RunOutcome>;
  /** Opens an event log for reading: `db`, else the server's `--db`, else the default. */
  openLog(db: string | undefined): Promise<EventSink>;
  /** The sources of what waits for a human (clearances, approvals), as `zu serve` has them. */
  pendingSources(): Promise<PendingSource[]>;
  /** The server's `--db`, passed on to the commands a tool runs. */
  db?: string;
}
