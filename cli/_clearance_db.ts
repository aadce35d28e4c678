/**
 * Where a CLI command's live clearance meets the verdict doors: the run's SQLite event database
 * (its `clearances` rules and `clearance_verdicts` inbox). The run paths pass
 * {@link clearanceDbPathOf} to `openRunClearance({ holdMs, dbPath })`; `zu clear`, `zu pending`,
 * `zu watch` and `zu serve` open the same file.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { LoadedAgent } from "./_agent.ts";
import { canonicalSink, exists } from "./_event_log.ts";
import type { CliIo } from "./_io.ts";
import { sinkPath } from "../sinks/open_sink.ts";

/**
 * The run's event database file when it is SQLite (`--db`, else the agent's `event_sink`, else
 * `.zu/events.db`), or null when the canonical sink is not an SQLite file (a JSONL or memory
 * log): then verdicts reach the run only in its own process.
 *
 * @example
 * ```ts ignore
 * const dbPath = clearanceDbPathOf(ctx.io, agent, str(ctx, "db"));
 * await using clearance = await openRunClearance({ holdMs: clearanceHoldOf(ctx), dbPath });
 * ```
 */
export function clearanceDbPathOf(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): string | null {
  const cfg = canonicalSink(io, agent, dbFlag);
  if (cfg.driver !== "sqlite") return null;
  const path = sinkPath(cfg, agent?.dir ?? io.cwd);
  return path === ":memory:" ? null : path;
}

/** {@link clearanceDbPathOf} for a door: the file must exist and be SQLite (else a user error). */
export function verdictDbPathOf(
  io: CliIo,
  agent: LoadedAgent | null,
  dbFlag: string | undefined,
): string {
  const path = clearanceDbPathOf(io, agent, dbFlag);
  if (path === null) {
    throw new UserError(
      "usage",
      "Cannot reach live clearances: the event log is not an SQLite file; pass --db <path.db>",
    );
  }
  if (!exists(path)) {
    throw new UserError(
      "event_log_not_found",
      `Cannot open event log "${path}": the file does not exist; pass --db <path>`,
    );
  }
  return path;
}
