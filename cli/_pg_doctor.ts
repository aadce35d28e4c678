/**
 * `zu doctor`'s PostgreSQL checks: when an agent's `event_sink` is `postgres` (its `url_env`,
 * default `ZU_PG_URL`) or `ZU_PG_URL` is set, one line for the connection, one for the schema
 * version and one for the oldest open transaction (the readers' horizon), each saying what to do.
 * The URL is shown with its password masked.
 *
 * @module
 */
import { maskUrlPassword } from "../core/mask_url.ts";
import type { EventSinkConfig } from "../core/types.ts";
import { isPostgresUrl } from "../sinks/postgres_grants.ts";
import { DEFAULT_PG_URL_ENV, postgresUrlEnv } from "../sinks/sink_grants.ts";
import type { Check } from "./cmd_doctor.ts";
import type { CliIo } from "./_io.ts";
import { EXPECTED_PG_SCHEMA_VERSION, type OldestTransaction, probePostgres } from "./_pg_probe.ts";

/**
 * Seconds an open transaction may hold back commit-ordered readers before `zu doctor` warns (the
 * `idle_in_transaction_session_timeout` docs/postgres.md recommends).
 */
export const HORIZON_WARN_SECONDS = 60;

/**
 * The `horizon` check: how long the oldest open transaction (of the sessions this role can see)
 * has been holding back `tail`, `stream` with a cursor and other commit-ordered readers; a
 * warning with what to do past {@link HORIZON_WARN_SECONDS}.
 */
export function horizonCheck(oldest: OldestTransaction | null, seesAll: boolean): Check {
  const scope = seesAll
    ? ""
    : " (this role sees only its own sessions: grant it pg_read_all_stats to see all)";
  if (oldest === null) {
    return {
      name: "horizon",
      status: "ok",
      detail: `no open transaction holds back readers${scope}`,
    };
  }
  const who = `pid ${oldest.pid}${
    oldest.application ? ` ("${oldest.application}")` : ""
  }, ${oldest.state}`;
  const age = oldest.seconds < 10 ? oldest.seconds.toFixed(1) : oldest.seconds.toFixed(0);
  if (oldest.seconds < HORIZON_WARN_SECONDS) {
    return {
      name: "horizon",
      status: "ok",
      detail: `oldest open transaction: ${age} s (${who})${scope}`,
    };
  }
  return {
    name: "horizon",
    status: "warn",
    detail:
      `a transaction has been open for ${age} s (${who}): tails and cursors wait for it (they skip nothing); end it (select pg_terminate_backend(${oldest.pid})) or set idle_in_transaction_session_timeout${scope}`,
  };
}

/** The variable naming the PostgreSQL log to check, and whether an agent asked for it; or null. */
export function postgresLogEnv(
  io: CliIo,
  eventSink: EventSinkConfig | null,
): { urlEnv: string; schema?: string; required: boolean } | null {
  if (eventSink?.driver === "postgres") {
    const schema = eventSink.options.schema;
    return {
      urlEnv: postgresUrlEnv(eventSink),
      ...(typeof schema === "string" ? { schema } : {}),
      required: true,
    };
  }
  return (io.env(DEFAULT_PG_URL_ENV) ?? "") !== ""
    ? { urlEnv: DEFAULT_PG_URL_ENV, required: false }
    : null;
}

/** The checks (empty when no PostgreSQL log is named). */
export async function postgresChecks(
  io: CliIo,
  eventSink: EventSinkConfig | null,
): Promise<Check[]> {
  const which = postgresLogEnv(io, eventSink);
  if (which === null) return [];
  const url = io.env(which.urlEnv) ?? "";
  const migrate = `zu events migrate --db env:${which.urlEnv}`;
  if (url.trim() === "") {
    return [{
      name: "postgres",
      status: "fail",
      detail:
        `the agent's event_sink is postgres but $${which.urlEnv} is not set; export it as postgres://user:password@host:5432/db`,
    }];
  }
  if (!isPostgresUrl(url)) {
    return [{
      name: "postgres",
      status: "fail",
      detail: `$${which.urlEnv} does not hold a postgres:// URL`,
    }];
  }
  const shown = maskUrlPassword(url);
  const p = await probePostgres(url, which.schema ? { schema: which.schema } : {});
  if (!p.ok) {
    const fix = p.stage === "auth"
      ? `fix the user or password in $${which.urlEnv}`
      : p.stage === "database"
      ? "create the database (createdb) or fix its name in the URL"
      : `start the server or fix the host and port in $${which.urlEnv}`;
    return [{
      name: "postgres",
      status: "fail",
      detail: `cannot use ${shown} ($${which.urlEnv}): ${p.detail}; ${fix}`,
    }];
  }
  const checks: Check[] = [{
    name: "postgres",
    status: "ok",
    detail: `${shown} ($${which.urlEnv}) answers (PostgreSQL ${p.server})`,
  }];
  if (p.schema === null || p.version === null) {
    checks.push({
      name: "schema",
      status: "warn",
      detail:
        `no zu schema in ${shown} yet; create it with "${migrate}" (the first write creates it too)`,
    });
  } else if (p.version < EXPECTED_PG_SCHEMA_VERSION) {
    checks.push({
      name: "schema",
      status: "fail",
      detail:
        `zu schema version ${p.version} in "${p.schema}" is older than this zu's ${EXPECTED_PG_SCHEMA_VERSION}; migrate it with "${migrate}"`,
    });
  } else if (p.version > EXPECTED_PG_SCHEMA_VERSION) {
    checks.push({
      name: "schema",
      status: "fail",
      detail:
        `zu schema version ${p.version} in "${p.schema}" is newer than this zu knows (${EXPECTED_PG_SCHEMA_VERSION}); upgrade zu`,
    });
  } else {
    checks.push({
      name: "schema",
      status: "ok",
      detail: `zu schema version ${p.version} in "${p.schema}"`,
    });
  }
  checks.push(horizonCheck(p.oldest, p.seesAll));
  return checks;
}
