/**
 * A raw look at a PostgreSQL event log's server for `zu doctor`, without opening the sink: can
 * we connect and log in, which zu schema version does it hold, and which open transaction holds
 * back the commit-ordered readers. postgres.js is imported only when called. Every message masks
 * the URL's password.
 *
 * @module
 */
import { maskUrlPassword } from "../core/mask_url.ts";
import { postgresJsTarget } from "../sinks/postgres_grants.ts";
import { OLDEST_WRITER_SQL } from "../sinks/postgres/oldest_writer.ts";
import { PG_SCHEMA_VERSION } from "../sinks/postgres/schema_version.ts";

/** The schema version this zu writes (the `zu_schema` table's newest `version`). */
export const EXPECTED_PG_SCHEMA_VERSION: number = PG_SCHEMA_VERSION;

/** The oldest open transaction of another session, as this role sees it. */
export interface OldestTransaction {
  /** The backend's pid. */
  pid: number;
  /** Seconds since the transaction began. */
  seconds: number;
  /** The session's state (`active`, `idle in transaction`, ...). */
  state: string;
  /** The session's `application_name` (may be empty). */
  application: string;
}

/** What {@link probePostgres} found. */
export type PgProbe =
  | { ok: false; stage: "connect" | "auth" | "database"; detail: string }
  | {
    ok: true;
    server: string;
    schema: string | null;
    version: number | null;
    /** The oldest open transaction elsewhere, or null when none is open. */
    oldest: OldestTransaction | null;
    /** False when this role cannot see other roles' transactions (no `pg_read_all_stats`). */
    seesAll: boolean;
  };

function codeOf(e: unknown): string {
  const x = e as { code?: unknown; errno?: unknown; cause?: { code?: unknown } };
  return String(x?.code ?? x?.cause?.code ?? x?.errno ?? "");
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return maskUrlPassword(m.split("\n")[0] ?? m);
}

/**
 * Connects to `url` (TCP, or a unix socket given as `?host=/dir`), reads the server version and
 * looks for zu's `zu_schema` table (in `schema`, else in any schema). Never throws for a server
 * problem: it returns the stage that failed and one masked line.
 */
export async function probePostgres(
  url: string,
  options: { schema?: string; timeoutSeconds?: number } = {},
): Promise<PgProbe> {
  const { default: postgres } = await import("postgres");
  const at = postgresJsTarget(url);
  const common = {
    max: 1,
    connect_timeout: options.timeoutSeconds ?? 5,
    idle_timeout: 1,
    onnotice: () => {},
    connection: { application_name: "zu doctor" },
  };
  const sql = postgres(at.url, {
    ...common,
    ...(at.host !== undefined ? { host: at.host } : {}),
    ...(at.port !== undefined ? { port: at.port } : {}),
  });
  try {
    const [v] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    const rows = await sql<{ nspname: string }[]>`
      select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = 'zu_schema' and c.relkind in ('r', 'p')
        and (${options.schema ?? null}::text is null or n.nspname = ${options.schema ?? null})
      order by n.nspname limit 1`;
    const schema = rows[0]?.nspname ?? null;
    let version: number | null = null;
    if (schema !== null) {
      const [r] = await sql<{ version: string | number | null }[]>`
        select max(version) as version from ${sql(schema)}.zu_schema`;
      version = r?.version === null || r?.version === undefined ? null : Number(r.version);
    }
    // What holds back the commit-ordered readers (the xid horizon): the oldest writing transaction.
    const [old] = await sql.unsafe(OLDEST_WRITER_SQL);
    const [sees] = await sql<{ all: boolean }[]>`
      select pg_has_role(current_user, 'pg_read_all_stats', 'member') as all`;
    const oldest = old
      ? {
        pid: Number(old.pid),
        seconds: Math.max(0, Number(old.seconds)),
        state: old.state ?? "?",
        application: old.app ?? "",
      }
      : null;
    return { ok: true, server: v?.v ?? "?", schema, version, oldest, seesAll: sees?.all === true };
  } catch (e) {
    const code = codeOf(e);
    const stage = code === "28P01" || code === "28000"
      ? "auth"
      : code === "3D000"
      ? "database"
      : "connect";
    return { ok: false, stage, detail: firstLine(e) };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
