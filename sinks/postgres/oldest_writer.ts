/**
 * The one query for what holds back commit-ordered readers: the oldest open transaction of
 * another session that was assigned a transaction id (a read-only transaction holds no xid and
 * does not move the horizon `pg_snapshot_xmin(pg_current_snapshot())`). `PostgresSink.storeLagMs`
 * and `zu doctor` both ask it.
 *
 * @example
 * ```ts ignore
 * import { OLDEST_WRITER_SQL } from "./oldest_writer.ts";
 * const [row] = await sql.unsafe(OLDEST_WRITER_SQL); // pid, seconds, state, app; or no row
 * ```
 * @module
 */

/**
 * Columns `pid`, `seconds` (since the transaction began), `state`, `app` (`application_name`);
 * no row when no other session holds an xid. Only sessions this role may see are counted
 * (superusers and members of `pg_read_all_stats` see all).
 */
export const OLDEST_WRITER_SQL: string =
  "select pid, extract(epoch from now() - xact_start)::float8 as seconds, state, " +
  "application_name as app from pg_stat_activity " +
  "where backend_xid is not null and xact_start is not null and pid <> pg_backend_pid() " +
  "order by xact_start limit 1";
