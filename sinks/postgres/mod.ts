/**
 * The event log on PostgreSQL: {@link PostgresSink} (the `EventSink` port for many writers on
 * many hosts, commit-ordered tails and consumer cursors) and {@link pgSchemaVersion}.
 *
 * @example
 * ```ts ignore
 * import { PostgresSink } from "@zu/zu/sinks/postgres";
 * await using sink = await PostgresSink.open(Deno.env.get("ZU_PG_URL")!, { schema: "zu" });
 * console.log(await sink.count());
 * ```
 * @module
 */
export {
  type PgCursor,
  PostgresSink,
  type PostgresSinkOptions,
  START_CURSOR,
  type TailItem,
  type TailOptions,
} from "./postgres_sink.ts";
export {
  type PgSchemaVersion,
  pgSchemaVersion,
  type PgSchemaVersionOptions,
} from "./pg_schema_version.ts";
export { type ConnectOptions, type PgSslMode, redactUrl } from "./pg_connect.ts";
