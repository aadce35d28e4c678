/**
 * The SQLite event sink: zu's durable, canonical event log on `node:sqlite`.
 *
 * @example
 * ```ts
 * import { SqliteSink } from "./mod.ts";
 * await using sink = new SqliteSink(":memory:");
 * console.assert((await sink.count()) === 0);
 * ```
 * @module
 */
export { SqliteSink } from "./sqlite_sink.ts";
export type { SqliteSinkOptions } from "./sqlite_sink.ts";
export { SCHEMA_STATEMENTS } from "./_schema.ts";
export {
  CLEARANCES_TABLE,
  SqliteClearanceStore,
  type SqliteClearanceStoreOptions,
} from "./clearance_store.ts";
