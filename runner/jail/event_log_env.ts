/**
 * The jailed child never holds the event log's database URL (and so its password): the host
 * process opens the log and appends what the child emits. The child's environment is cleared
 * and holds only the keys the jail grants; this rule refuses a run whose grants would name the
 * log's URL variable (an agent file setting `api_key_env: ZU_PG_URL`), or any granted variable
 * whose value is that URL, before the child starts.
 *
 * @example
 * ```ts
 * import { eventLogEnvNames } from "./event_log_env.ts";
 * const pg = { driver: "postgres", path: null, encryption: "none", options: { url_env: "TEAM_PG" } };
 * console.assert(eventLogEnvNames(pg).join() === "TEAM_PG,ZU_PG_URL");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { EnvReader, EventSinkConfig } from "../../core/types.ts";
import { DEFAULT_PG_URL_ENV, postgresUrlEnv } from "../../sinks/sink_grants.ts";

/** The variables that may hold the event log's URL: its `url_env`, and `ZU_PG_URL` always. */
export function eventLogEnvNames(eventSink: EventSinkConfig | null): string[] {
  const names = new Set<string>();
  if (eventSink?.driver === "postgres") names.add(postgresUrlEnv(eventSink));
  names.add(DEFAULT_PG_URL_ENV);
  return [...names];
}

/**
 * Throws a `UserError` when `granted` (the env keys the child may read) names a variable of
 * {@link eventLogEnvNames}, or one whose value (by `env`) equals the URL one of them holds.
 */
export function refuseEventLogEnv(
  granted: readonly string[],
  eventSink: EventSinkConfig | null,
  env: EnvReader,
): void {
  const names = eventLogEnvNames(eventSink);
  const urls = new Set(names.map((n) => env(n) ?? "").filter((v) => v.trim() !== ""));
  for (const key of granted) {
    const value = env(key);
    const byName = names.includes(key);
    if (byName || (value !== undefined && urls.has(value))) {
      throw new UserError(
        "config_invalid",
        `Cannot start the jailed agent: it would be granted $${key}, which ${
          byName ? "names" : "holds"
        } the event log's database URL; the host writes the events, so give the agent another variable`,
      );
    }
  }
}
