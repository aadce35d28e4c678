/**
 * `pgSchemaVersion`: the event-log schema version a PostgreSQL server holds, for `zu doctor`.
 *
 * @example
 * ```ts ignore
 * import { pgSchemaVersion } from "./pg_schema_version.ts";
 * const { found, expected } = await pgSchemaVersion(Deno.env.get("ZU_PG_URL")!);
 * if (found !== expected) console.log(`schema at ${found}, this zu writes ${expected}`);
 * ```
 * @module
 */
import { connectError, type ConnectOptions, connectPg } from "./pg_connect.ts";
import { checkSchemaName, PG_SCHEMA_VERSION, readSchemaVersion } from "./_schema.ts";

/** Options of {@link pgSchemaVersion}. */
export interface PgSchemaVersionOptions extends ConnectOptions {
  /** Schema to look in. Default `zu`. */
  schema?: string;
}

/** What {@link pgSchemaVersion} found. */
export interface PgSchemaVersion {
  /** The applied version, 0 when the schema has no event log yet. */
  found: number;
  /** The version this code writes. */
  expected: number;
}

/**
 * Connects to `url` and reads the applied schema version without changing anything. Throws
 * `UserError` (`sink_unreadable`) naming the server (never the password) when it cannot connect.
 */
export async function pgSchemaVersion(
  url: string,
  options: PgSchemaVersionOptions = {},
): Promise<PgSchemaVersion> {
  const schema = checkSchemaName(options.schema ?? "zu");
  const sql = connectPg(url, { ...options, max: 1 });
  try {
    return { found: await readSchemaVersion(sql, schema), expected: PG_SCHEMA_VERSION };
  } catch (e) {
    let password: string | undefined;
    try {
      password = decodeURIComponent(new URL(url).password) || undefined;
    } catch { /* none */ }
    throw connectError(e, url, password);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
