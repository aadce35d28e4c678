/**
 * `zu doctor`'s PostgreSQL checks: when an agent's `event_sink` is `postgres` (its `url_env`,
 * default `ZU_PG_URL`) or `ZU_PG_URL` is set, one line for the connection and one for the schema
 * version, each saying what to do. The URL is shown with its password masked.
 *
 * @module
 */
import { maskUrlPassword } from "../core/mask_url.ts";
import type { EventSinkConfig } from "../core/types.ts";
import { isPostgresUrl } from "../sinks/postgres_grants.ts";
import { DEFAULT_PG_URL_ENV, postgresUrlEnv } from "../sinks/sink_grants.ts";
import type { Check } from "./cmd_doctor.ts";
import type { CliIo } from "./_io.ts";
import { EXPECTED_PG_SCHEMA_VERSION, probePostgres } from "./_pg_probe.ts";

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
  return checks;
}
