/**
 * The event-log schema version this zu writes and reads on PostgreSQL (the newest `version` row
 * of the `zu_schema` table). A file of its own so that `zu doctor` can compare a server's version
 * without loading the PostgreSQL client.
 *
 * @example
 * ```ts
 * import { PG_SCHEMA_VERSION } from "./schema_version.ts";
 * console.assert(PG_SCHEMA_VERSION >= 1);
 * ```
 * @module
 */

/** The schema version this code writes and reads. */
export const PG_SCHEMA_VERSION = 2;
