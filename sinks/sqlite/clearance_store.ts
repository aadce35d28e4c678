/**
 * `SqliteClearanceStore`: persisted clearances (operator verdicts with scope `persist`) in the
 * `clearances` table of the SAME SQLite file as the event log, so a run's verdicts live and
 * travel with its events. The file is opened like the event log (zu's schema, WAL,
 * `synchronous=FULL`, busy timeout, `BEGIN IMMEDIATE`) and the table is created if missing; a
 * desk reads every rule at start (`load`) and writes each new one before releasing anything
 * (`save`).
 *
 * ```sql
 * clearances(host, port, action, scope, ttl_until, actor, reason, created, run_id, request_id)
 * ```
 *
 * @example
 * ```ts
 * import { SqliteClearanceStore } from "./clearance_store.ts";
 * await using store = new SqliteClearanceStore(":memory:");
 * await store.save({ host: "a.test", port: 443, action: "deny", scope: "persist", ttl_until: null,
 *   actor: "op", reason: "no", created: new Date().toISOString(), run_id: "r", request_id: null });
 * console.assert((await store.load())[0]?.action === "deny");
 * ```
 * @module
 */
import type { DatabaseSync } from "./node_sqlite.ts";
import type { ClearanceRule, ClearanceStore } from "../../core/types.ts";
import { isBusy, openEventDatabase } from "./_schema.ts";

/** The `clearances` table (created beside zu's event tables). */
export const CLEARANCES_TABLE = `CREATE TABLE IF NOT EXISTS clearances (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    host           TEXT NOT NULL,
    port           INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('allow', 'deny')),
    scope          TEXT NOT NULL,
    ttl_until      TEXT,
    actor          TEXT NOT NULL,
    reason         TEXT,
    created        TEXT NOT NULL,
    run_id         TEXT,
    request_id     TEXT
)`;

/** Options of {@link SqliteClearanceStore}. */
export interface SqliteClearanceStoreOptions {
  /** SQLite busy timeout in ms. Default 5000. */
  busyTimeoutMs?: number;
}

const COLUMNS = "host, port, action, scope, ttl_until, actor, reason, created, run_id, request_id";

/** Persisted clearances in the event database. */
export class SqliteClearanceStore implements ClearanceStore, AsyncDisposable {
  /** The database path. */
  readonly path: string;
  #db: DatabaseSync;
  #closed = false;

  /** Opens (or creates) the event database at `path` and its `clearances` table. */
  constructor(path = "./zu.db", options: SqliteClearanceStoreOptions = {}) {
    this.path = path;
    this.#db = openEventDatabase(path, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
    try {
      this.#db.exec(CLEARANCES_TABLE);
      this.#db.exec(
        "CREATE INDEX IF NOT EXISTS idx_clearances_dest ON clearances(host, port)",
      );
    } catch (e) {
      this.#db.close();
      throw e;
    }
  }

  /** Every stored rule, oldest first. */
  load(): Promise<ClearanceRule[]> {
    try {
      this.#open();
      const rows = this.#db.prepare(`SELECT ${COLUMNS} FROM clearances ORDER BY id`).all();
      return Promise.resolve(rows.map((r) => ({
        host: String(r.host),
        port: Number(r.port),
        action: r.action === "allow" ? "allow" : "deny",
        scope: r.scope === "run" ? "run" : r.scope === "once" ? "once" : "persist",
        ttl_until: r.ttl_until === null ? null : String(r.ttl_until),
        actor: String(r.actor),
        reason: r.reason === null ? null : String(r.reason),
        created: String(r.created),
        run_id: r.run_id === null ? null : String(r.run_id),
        request_id: r.request_id === null ? null : String(r.request_id),
      } satisfies ClearanceRule)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Stores `rule`; resolves after the transaction committed. */
  save(rule: ClearanceRule): Promise<void> {
    try {
      this.#open();
      const insert = this.#db.prepare(
        `INSERT INTO clearances (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (let attempt = 0;; attempt++) {
        try {
          this.#db.exec("BEGIN IMMEDIATE");
          break;
        } catch (e) {
          if (!isBusy(e) || attempt >= 40) throw e;
        }
      }
      try {
        insert.run(
          rule.host,
          rule.port,
          rule.action,
          rule.scope,
          rule.ttl_until,
          rule.actor,
          rule.reason,
          rule.created,
          rule.run_id,
          rule.request_id,
        );
        this.#db.exec("COMMIT");
      } catch (e) {
        this.#db.exec("ROLLBACK");
        throw e;
      }
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(): void {
    if (this.#closed) throw new Error(`Cannot use clearance store "${this.path}": it is closed`);
  }
}
