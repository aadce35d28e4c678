/**
 * zu's SQLite schema, character for character as zu creates it (so `sqlite_master` matches), and
 * a safe opener that refuses a file that is not an SQLite database before SQLite touches it.
 *
 * @module
 */
import { DatabaseSync } from "./node_sqlite.ts";
import { UserError } from "../../core/errors.ts";

/** The statements zu runs, in its order. SQLite stores them without `IF NOT EXISTS`. */
export const SCHEMA_STATEMENTS: readonly string[] = Object.freeze([
  `CREATE TABLE IF NOT EXISTS events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,   -- idempotency key
    trace_id       TEXT NOT NULL,
    task_id        TEXT NOT NULL,
    parent_id      TEXT,
    type           TEXT NOT NULL,
    source         TEXT NOT NULL,
    data           BLOB NOT NULL           -- payload codec output; canonical record
)`,
  "CREATE INDEX IF NOT EXISTS idx_events_task  ON events(task_id)",
  "CREATE INDEX IF NOT EXISTS idx_events_trace ON events(trace_id)",
  "CREATE INDEX IF NOT EXISTS idx_events_type  ON events(type)",
  `CREATE TABLE IF NOT EXISTS event_index (
    event_id       TEXT NOT NULL,
    field          TEXT NOT NULL,
    value          TEXT,
    PRIMARY KEY (event_id, field)
)`,
  "CREATE INDEX IF NOT EXISTS idx_event_index_fv ON event_index(field, value)",
]);

const EVENT_COLUMNS = [
  "seq",
  "event_id",
  "trace_id",
  "task_id",
  "parent_id",
  "type",
  "source",
  "data",
];
const MAGIC = "SQLite format 3\0";

function fail(path: string, why: string, cause?: unknown): UserError {
  return new UserError(
    "sink_unreadable",
    `Cannot open event log "${path}": ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/** Checks the header of an existing file; throws `UserError` naming `path` if it is not SQLite or is cut short. */
export function checkDatabaseFile(path: string): void {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw fail(path, e instanceof Error ? e.message : String(e), e);
  }
  if (size === 0) return;
  const head = new Uint8Array(100);
  let n = 0;
  const f = Deno.openSync(path, { read: true });
  try {
    while (n < 100) {
      const r = f.readSync(head.subarray(n));
      if (r === null || r === 0) break;
      n += r;
    }
  } finally {
    f.close();
  }
  if (n < 100 || new TextDecoder("latin1").decode(head.subarray(0, 16)) !== MAGIC) {
    throw fail(path, "the file is not an SQLite database");
  }
  const dv = new DataView(head.buffer);
  const rawPage = dv.getUint16(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const changeCounter = dv.getUint32(24);
  const pages = dv.getUint32(28);
  const validFor = dv.getUint32(92);
  if (pages > 0 && validFor === changeCounter && size < pages * pageSize) {
    throw fail(path, `the file is truncated (${size} bytes, its header says ${pages * pageSize})`);
  }
}

/** Options of {@link openEventDatabase}. */
export interface OpenOptions {
  /** SQLite busy timeout in ms. */
  busyTimeoutMs: number;
}

/**
 * Opens (or creates) an event log with zu's schema, WAL and `synchronous=FULL`. Throws
 * `UserError` (code `sink_unreadable`) naming the path when the file is not a usable event log.
 */
export function openEventDatabase(path: string, options: OpenOptions): DatabaseSync {
  if (path !== ":memory:" && !path.startsWith("file:")) checkDatabaseFile(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: options.busyTimeoutMs });
  } catch (e) {
    throw fail(path, e instanceof Error ? e.message : String(e), e);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    // Read the schema first: a damaged file fails here, before anything is written to it.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    if (tables.some((t) => t.name === "events")) {
      const cols = (db.prepare("PRAGMA table_info(events)").all() as { name: string }[]).map((c) =>
        c.name
      );
      const missing = EVENT_COLUMNS.filter((c) => !cols.includes(c));
      if (missing.length > 0) {
        throw new Error(
          `its "events" table is not zu's (missing columns: ${
            missing.map((m) => `"${m}"`).join(", ")
          })`,
        );
      }
    }
    const mode = db.prepare("PRAGMA journal_mode = WAL").get() as
      | { journal_mode?: string }
      | undefined;
    if (path !== ":memory:" && mode?.journal_mode !== "wal") {
      throw new Error(
        `WAL mode could not be enabled (journal mode is "${String(mode?.journal_mode)}")`,
      );
    }
    db.exec("PRAGMA synchronous = FULL");
    withBusyRetrySync(() => {
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const s of SCHEMA_STATEMENTS) db.exec(s);
        db.exec("COMMIT");
      } catch (e) {
        db.exec("ROLLBACK");
        throw e;
      }
    });
  } catch (e) {
    try {
      db.close();
    } catch { /* already failing */ }
    if (e instanceof UserError) throw e;
    throw fail(path, e instanceof Error ? e.message : String(e), e);
  }
  return db;
}

/** True when `e` is SQLite's "database is locked" / busy. */
export function isBusy(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { errcode?: number }).errcode;
  return code === 5 || code === 6 ||
    /database is locked|database table is locked|SQLITE_BUSY/i.test(e.message);
}

function withBusyRetrySync(fn: () => void): void {
  for (let attempt = 0;; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || attempt >= 5) throw e;
    }
  }
}
