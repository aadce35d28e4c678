/**
 * `ClearanceInbox`: the cross-process verdict channel of live clearance, a `clearance_verdicts`
 * table in the SAME SQLite file as the run's event log. A door (`zu clear`, `zu serve`) posts a
 * verdict row; the live run's desk claims the rows of its run, applies them and writes its answer
 * back. Nothing new to secure: neither the jailed child nor a container can write that file.
 *
 * ```sql
 * clearance_verdicts(id, request_id, run_id, host, port, action, scope, actor, reason, ttl_ms,
 *                    created, state, answer, answered_at)
 * ```
 *
 * `state`: `new` (posted) → `taken` (a live desk claimed it) → `applied` | `refused` (its answer
 * is a JSON text), or `new` → `unclaimed` (the door gave up waiting; no desk will take it).
 *
 * @example
 * ```ts
 * import { ClearanceInbox } from "./clearance_inbox.ts";
 * using inbox = new ClearanceInbox(":memory:");
 * const posted = inbox.post({ request_id: "q1", run_id: "r1", host: "a.test", port: 443,
 *   action: "allow", scope: "once", actor: "cli:op", reason: null, ttl_ms: null });
 * const [row] = inbox.claim(["r1"], 8);
 * inbox.settle(row!.id, "applied", { outcome: "forwarded" });
 * console.assert("id" in posted && inbox.get(row!.id)?.state === "applied");
 * ```
 * @module
 */
import type { DatabaseSync } from "./node_sqlite.ts";
import { isBusy, openEventDatabase } from "./_schema.ts";

/** The `clearance_verdicts` table (created beside zu's event tables and `clearances`). */
export const CLEARANCE_VERDICTS_TABLE = `CREATE TABLE IF NOT EXISTS clearance_verdicts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id     TEXT NOT NULL,
    run_id         TEXT NOT NULL,
    host           TEXT NOT NULL,
    port           INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('allow', 'deny')),
    scope          TEXT NOT NULL CHECK (scope IN ('once', 'run', 'persist')),
    actor          TEXT NOT NULL,
    reason         TEXT,
    ttl_ms         INTEGER,
    created        TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'new'
                   CHECK (state IN ('new', 'taken', 'applied', 'refused', 'unclaimed')),
    answer         TEXT,
    answered_at    TEXT
)`;

/** The life of an inbox row. */
export type InboxState = "new" | "taken" | "applied" | "refused" | "unclaimed";

/** A verdict as a door posts it. */
export interface InboxVerdict {
  /** The pending request's id. */
  request_id: string;
  /** Its run (the desk only claims rows of its own runs). */
  run_id: string;
  /** Its host, as issued. */
  host: string;
  /** Its port. */
  port: number;
  /** Allow or deny. */
  action: "allow" | "deny";
  /** once, run or persist. */
  scope: "once" | "run" | "persist";
  /** Who decided (`cli:<user>`, `serve`). */
  actor: string;
  /** Model-facing reason, or null. */
  reason: string | null;
  /** Validity of a run/persist rule in ms, or null. */
  ttl_ms: number | null;
}

/** One stored row. */
export interface InboxRow extends InboxVerdict {
  /** Row id. */
  id: number;
  /** ISO time it was posted. */
  created: string;
  /** Where it is in its life. */
  state: InboxState;
  /** The desk's (or the door's) answer, parsed JSON, or null. */
  answer: unknown;
  /** ISO time of the answer, or null. */
  answered_at: string | null;
}

/** Options of {@link ClearanceInbox}. */
export interface ClearanceInboxOptions {
  /** SQLite busy timeout in ms. Default 5000 (a live desk's poller uses a short one). */
  busyTimeoutMs?: number;
}

const COLS =
  "id, request_id, run_id, host, port, action, scope, actor, reason, ttl_ms, created, state, answer, answered_at";

function rowOf(r: Record<string, unknown>): InboxRow {
  let answer: unknown = null;
  if (typeof r.answer === "string") {
    try {
      answer = JSON.parse(r.answer);
    } catch {
      answer = r.answer;
    }
  }
  return {
    id: Number(r.id),
    request_id: String(r.request_id),
    run_id: String(r.run_id),
    host: String(r.host),
    port: Number(r.port),
    action: r.action === "allow" ? "allow" : "deny",
    scope: r.scope === "run" ? "run" : r.scope === "persist" ? "persist" : "once",
    actor: String(r.actor),
    reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
    ttl_ms: r.ttl_ms === null || r.ttl_ms === undefined ? null : Number(r.ttl_ms),
    created: String(r.created),
    state: String(r.state) as InboxState,
    answer,
    answered_at: r.answered_at === null || r.answered_at === undefined
      ? null
      : String(r.answered_at),
  };
}

/** The verdict inbox of an event database. */
export class ClearanceInbox implements Disposable {
  /** The database path. */
  readonly path: string;
  #db: DatabaseSync;
  #closed = false;

  /** Opens (or creates) the event database at `path` and its `clearance_verdicts` table. */
  constructor(path = "./zu.db", options: ClearanceInboxOptions = {}) {
    this.path = path;
    const busy = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
    // The table is created with a patient timeout (a live run may be appending); then the
    // connection gets the asked one.
    this.#db = openEventDatabase(path, { busyTimeoutMs: Math.max(busy, 5000) });
    try {
      this.#db.exec(CLEARANCE_VERDICTS_TABLE);
      this.#db.exec(
        "CREATE INDEX IF NOT EXISTS idx_clearance_verdicts_run ON clearance_verdicts(state, run_id)",
      );
      this.#db.exec(
        "CREATE INDEX IF NOT EXISTS idx_clearance_verdicts_req ON clearance_verdicts(request_id)",
      );
      this.#db.exec(`PRAGMA busy_timeout = ${busy}`);
    } catch (e) {
      this.#db.close();
      throw e;
    }
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Posts a verdict, unless a verdict on the same request is already posted, claimed or applied
   * (a replay): then that row is returned as `duplicate` and nothing is written. Atomic across
   * processes (`BEGIN IMMEDIATE`).
   */
  post(v: InboxVerdict): { id: number } | { duplicate: InboxRow } {
    return this.#write(() => {
      const prior = this.#db.prepare(
        `SELECT ${COLS} FROM clearance_verdicts WHERE request_id = ? AND state IN ('new', 'taken', 'applied') ORDER BY id LIMIT 1`,
      ).get(v.request_id) as Record<string, unknown> | undefined;
      if (prior !== undefined) return { duplicate: rowOf(prior) };
      const r = this.#db.prepare(
        `INSERT INTO clearance_verdicts (request_id, run_id, host, port, action, scope, actor, reason, ttl_ms, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        v.request_id,
        v.run_id,
        v.host,
        v.port,
        v.action,
        v.scope,
        v.actor,
        v.reason,
        v.ttl_ms,
        new Date().toISOString(),
      );
      return { id: Number(r.lastInsertRowid) };
    });
  }

  /** Claims (`new` → `taken`) at most `limit` new rows of `runIds`, oldest first. */
  claim(runIds: readonly string[], limit: number): InboxRow[] {
    if (runIds.length === 0) return [];
    const marks = runIds.map(() => "?").join(", ");
    const rows = this.#db.prepare(
      `SELECT ${COLS} FROM clearance_verdicts WHERE state = 'new' AND run_id IN (${marks}) ORDER BY id LIMIT ?`,
    ).all(...runIds, Math.max(1, Math.floor(limit))) as Record<string, unknown>[];
    if (rows.length === 0) return [];
    const take = this.#db.prepare(
      "UPDATE clearance_verdicts SET state = 'taken' WHERE id = ? AND state = 'new'",
    );
    return this.#write(() => {
      const out: InboxRow[] = [];
      for (const r of rows) {
        if (Number(take.run(r.id as number).changes) === 1) {
          out.push({ ...rowOf(r), state: "taken" });
        }
      }
      return out;
    });
  }

  /** Writes a claimed row's answer (`taken` → `applied` | `refused`). */
  settle(id: number, state: "applied" | "refused", answer: unknown): void {
    this.#open();
    this.#db.prepare(
      "UPDATE clearance_verdicts SET state = ?, answer = ?, answered_at = ? WHERE id = ? AND state = 'taken'",
    ).run(state, JSON.stringify(answer), new Date().toISOString(), id);
  }

  /** Gives up on a row no desk claimed (`new` → `unclaimed`); false when a desk took it first. */
  abandon(id: number, answer: unknown): boolean {
    this.#open();
    const r = this.#db.prepare(
      "UPDATE clearance_verdicts SET state = 'unclaimed', answer = ?, answered_at = ? WHERE id = ? AND state = 'new'",
    ).run(JSON.stringify(answer), new Date().toISOString(), id);
    return Number(r.changes) === 1;
  }

  /** One row, or null. */
  get(id: number): InboxRow | null {
    this.#open();
    const r = this.#db.prepare(`SELECT ${COLS} FROM clearance_verdicts WHERE id = ?`).get(id);
    return r === undefined ? null : rowOf(r as Record<string, unknown>);
  }

  /** The rows after `afterId` (at most `limit`), for a live view. */
  since(afterId: number, limit: number): InboxRow[] {
    this.#open();
    const rows = this.#db.prepare(
      `SELECT ${COLS} FROM clearance_verdicts WHERE id > ? ORDER BY id LIMIT ?`,
    ).all(afterId, Math.max(1, Math.floor(limit))) as Record<string, unknown>[];
    return rows.map(rowOf);
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** Closes the connection. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(): void {
    if (this.#closed) throw new Error(`Cannot use clearance inbox "${this.path}": it is closed`);
  }

  #write<T>(fn: () => T): T {
    this.#open();
    for (let attempt = 0;; attempt++) {
      try {
        this.#db.exec("BEGIN IMMEDIATE");
        break;
      } catch (e) {
        if (!isBusy(e) || attempt >= 3) throw e;
      }
    }
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }
}
