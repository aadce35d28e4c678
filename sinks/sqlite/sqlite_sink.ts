/**
 * `SqliteSink`: the durable canonical event log on `node:sqlite`, with zu's schema and blob
 * layout, so zu reads what it writes and it reads what zu writes.
 *
 * - WAL, `synchronous=FULL`, `busy_timeout`, `BEGIN IMMEDIATE`; one connection, one writer.
 * - `append` is idempotent on `event_id` (a repeat returns the stored copy) and resolves only
 *   after its transaction committed. Concurrent appends share one transaction (group commit).
 * - Each event is linked into its trace's hash chain; the head is read from the database, so the
 *   chain continues after a restart and across processes writing the same file.
 * - Filters use an allowlist and bound values; streams page by `seq` (keyset, never OFFSET).
 *
 * @example
 * ```ts
 * import { SqliteSink } from "./sqlite_sink.ts";
 * import { newEvent } from "../../core/events.ts";
 * await using sink = new SqliteSink(":memory:");
 * const e = await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * console.assert(e.hash !== null && (await sink.count({ task_id: "t" })) === 1);
 * ```
 * @module
 */
import {
  appendError,
  appendRefusal,
  GroupCommitQueue,
  type PendingAppend,
  settleWithFirst,
} from "../group_commit.ts";
import type { DatabaseSync, SQLInputValue, StatementSync } from "./node_sqlite.ts";
import { linkEvent } from "../../core/chain.ts";
import {
  encodePayload,
  encodePayloadSync,
  IdentityCodec,
  isSyncCodec,
  rowAad,
} from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { toZuJson } from "../../core/json.ts";
import type {
  EventFilter,
  EventSink,
  PayloadCodec,
  QueryOptions,
  StoredEvent,
  StreamOptions,
} from "../../core/types.ts";
import {
  checkFilterFieldName,
  checkNonNegativeInt,
  compileFilter,
  ctxIndexEntries,
} from "../filter.ts";
import { isBusy, openEventDatabase } from "./_schema.ts";
import { decodeRow, type EventRow, LEAN_COLUMNS, parseLean, ROW_COLUMNS } from "./_rows.ts";

/** Options of {@link SqliteSink}. */
export interface SqliteSinkOptions {
  /** Codec for new rows. Default {@link IdentityCodec} (version 0). */
  codec?: PayloadCodec;
  /** Extra codecs to read older rows with (identity and `codec` are always included). */
  readCodecs?: readonly PayloadCodec[];
  /** SQLite busy timeout in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** HMAC key: linked events get `sig`. Default none. */
  signKey?: Uint8Array;
  /** ctx fields to index and filter on (zu's `register_event_filter`). Default none. */
  filterFields?: Iterable<string>;
  /** Most events per group-commit transaction. Default 1000. */
  maxBatch?: number;
}

type Pending = PendingAppend;

interface Head {
  seq: number;
  hash: string | null;
}

interface Prepared {
  event: Event;
  pending: Pending;
  /** The blob, or for the identity codec its text (SQLite prepends the version byte). */
  blob: Uint8Array | string;
  index: [string, string][];
}

const MAX_ATTEMPTS = 40;
const NO_INDEX: [string, string][] = [];

/** The canonical, durable event sink. */
export class SqliteSink implements EventSink {
  /** The database path. */
  readonly path: string;
  #db: DatabaseSync;
  #codec: PayloadCodec;
  #codecs = new Map<number, PayloadCodec>();
  #signKey: Uint8Array | null;
  #ctxFields = new Set<string>();
  #maxBatch: number;
  #heads = new Map<string, Head>();
  #stmts = new Map<string, StatementSync>();
  #queue: GroupCommitQueue;
  #dataVersion = -1;
  #closed = false;
  #dbClosed = false;
  #identity: boolean;

  /**
   * Opens or creates the log at `path` (`":memory:"` for a private in-memory log). Throws
   * `UserError` naming the path when the file is not an SQLite event log.
   */
  constructor(path = "./zu.db", options: SqliteSinkOptions = {}) {
    this.path = path;
    this.#codec = options.codec ?? new IdentityCodec();
    this.#codecs.set(0, new IdentityCodec());
    for (const c of options.readCodecs ?? []) this.#codecs.set(c.version, c);
    this.#codecs.set(this.#codec.version, this.#codec);
    // Exactly the identity codec (a subclass might encode differently).
    this.#identity = Object.getPrototypeOf(this.#codec) === IdentityCodec.prototype &&
      this.#codec.version === 0;
    this.#signKey = options.signKey ?? null;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#queue = new GroupCommitQueue((batch) => this.#writeBatch(batch), this.#maxBatch);
    for (const f of options.filterFields ?? []) this.registerFilterField(f);
    this.#db = openEventDatabase(path, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
  }

  /** Indexes `payload.ctx[field]` of new events and lets filters use it. */
  registerFilterField(field: string): void {
    checkFilterFieldName(field);
    this.#ctxFields.add(field);
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Stores `event`, linked into its trace's chain unless it already has a hash. Resolves with the
   * stored copy once its transaction committed; a repeat of a stored `event_id` resolves with the
   * stored copy. Rejects with `TypeError` naming the event when it is not JSON-serialisable.
   */
  append(event: Event): Promise<Event> {
    const refused = appendRefusal(event, this.#closed);
    return refused ? Promise.reject(refused) : this.#queue.enqueue(event);
  }

  /** Rows already stored among `ids` (one query for the whole batch). */
  #storedRows(ids: string[]): Map<string, EventRow> {
    const out = new Map<string, EventRow>();
    if (ids.length === 0) return out;
    if (ids.length <= 16) {
      // A few ids: probe the unique index only; read the rare hits in full.
      const probe = this.#stmt("SELECT seq FROM events WHERE event_id = ?");
      for (const id of ids) {
        if (probe.get(id) === undefined) continue;
        const row = this.#stmt(`SELECT ${ROW_COLUMNS} FROM events WHERE event_id = ?`).get(id);
        if (row !== undefined) out.set(id, row as unknown as EventRow);
      }
      return out;
    }
    const rows = this.#stmt(
      `SELECT ${ROW_COLUMNS} FROM events WHERE event_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(ids)) as unknown as EventRow[];
    for (const r of rows) out.set(r.event_id, r);
    return out;
  }

  async #loadHead(traceId: string): Promise<Head> {
    const row = this.#stmt(
      `SELECT ${ROW_COLUMNS} FROM events WHERE trace_id = ? ORDER BY seq DESC LIMIT 1`,
    ).get(traceId) as EventRow | undefined;
    if (row === undefined) return { seq: 0, hash: null };
    const ev = await decodeRow(row, this.#codecs);
    return { seq: row.seq, hash: ev.hash };
  }

  #maxSeq(traceId: string): number {
    const r = this.#stmt("SELECT MAX(seq) AS m FROM events WHERE trace_id = ?").get(traceId) as {
      m: number | null;
    };
    return r.m ?? 0;
  }

  /**
   * The stored form of `event`. For the identity codec this is the JSON text itself: the insert
   * binds it as text and SQLite writes `x'00' || text` as a BLOB, the same bytes as encoding
   * it here, without a `TextEncoder` pass and a byte copy per row.
   */
  #encode(event: Event): Uint8Array | string | Promise<Uint8Array> {
    const text = toZuJson(event);
    if (this.#identity) return text;
    const aad = rowAad(event);
    return isSyncCodec(this.#codec)
      ? encodePayloadSync(this.#codec, text, aad)
      : encodePayload(this.#codec, text, aad);
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    let work = batch;
    for (let attempt = 0; work.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `Cannot append to "${this.path}": the log kept changing under concurrent writers (${MAX_ATTEMPTS} attempts)`,
        );
      }
      // 1. Repeats: already stored, or earlier in this batch (those settle with the first). The
      // first attempt leaves stored repeats to the INSERT's conflict check (they are rare).
      const stored = attempt === 0
        ? new Map<string, EventRow>()
        : this.#storedRows(work.map((p) => p.event.event_id));
      const fresh: Pending[] = [];
      const seen = new Map<string, Pending>();
      for (const p of work) {
        const id = p.event.event_id;
        const first = seen.get(id);
        if (first !== undefined) {
          settleWithFirst(first, p);
          continue;
        }
        const row = stored.get(id);
        if (row !== undefined) {
          Promise.resolve().then(() => decodeRow(row, this.#codecs)).then(p.resolve, p.reject);
          continue;
        }
        seen.set(id, p);
        fresh.push(p);
      }
      // 2. Link against known heads and encode, outside the transaction.
      const heads = new Map<string, Head>();
      for (const p of fresh) {
        const t = p.event.trace_id;
        if (heads.has(t)) continue;
        let h = this.#heads.get(t);
        if (h === undefined) {
          try {
            h = await this.#loadHead(t);
          } catch (e) {
            p.reject(
              new Error(
                `Cannot append event "${p.event.event_id}": the head of trace "${t}" cannot be read (${
                  e instanceof Error ? e.message : e
                })`,
                { cause: e },
              ),
            );
            continue;
          }
          this.#heads.set(t, h);
        }
        heads.set(t, h);
      }
      const prepared: Prepared[] = [];
      const running = new Map<string, string | null>();
      for (const p of fresh) {
        const t = p.event.trace_id;
        const head = heads.get(t);
        if (head === undefined) continue;
        try {
          const linked = p.event.hash === null || p.event.hash === undefined
            ? linkEvent(p.event, running.has(t) ? running.get(t)! : head.hash, this.#signKey)
            : (Object.isFrozen(p.event) ? p.event : Object.freeze({ ...p.event }));
          const encoded = this.#encode(linked);
          const blob = encoded instanceof Promise ? await encoded : encoded;
          prepared.push({
            event: linked,
            pending: p,
            blob,
            index: this.#ctxFields.size === 0 ? NO_INDEX : ctxIndexEntries(linked, this.#ctxFields),
          });
          running.set(t, linked.hash);
        } catch (e) {
          p.reject(appendError(p.event.event_id, e));
        }
      }
      // 3. One transaction, synchronous from BEGIN to COMMIT.
      const outcome = await this.#commit(prepared, heads);
      if (outcome === "ok") {
        for (const x of prepared) x.pending.resolve(x.event);
        return;
      }
      // The log moved under us (another writer): reload those heads and redo the batch.
      for (const t of outcome) this.#heads.delete(t);
      work = prepared.map((x) => x.pending);
    }
  }

  /** Writes `prepared` in one transaction. Returns "ok", or the traces whose head moved. */
  async #commit(prepared: Prepared[], heads: Map<string, Head>): Promise<"ok" | string[]> {
    if (prepared.length === 0) return "ok";
    const busy = this.#begin();
    if (busy !== undefined) await busy;
    const db = this.#db;
    try {
      const moved: string[] = [];
      const version = (this.#stmt("PRAGMA data_version").get() as { data_version: number })
        .data_version;
      if (version !== this.#dataVersion) {
        // Another connection committed since we last looked: check the heads we link onto and
        // forget the other cached ones (they are re-read from the database when next needed).
        const touched = new Set(prepared.map((x) => x.event.trace_id));
        for (const t of touched) {
          if (this.#maxSeq(t) !== heads.get(t)!.seq) moved.push(t);
        }
        for (const t of [...this.#heads.keys()]) if (!touched.has(t)) this.#heads.delete(t);
        this.#dataVersion = version;
      }
      if (moved.length > 0) {
        this.#stmt("ROLLBACK").run();
        return moved;
      }
      const insert = this.#stmt(
        "INSERT INTO events (event_id, trace_id, task_id, parent_id, type, source, data) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING",
      );
      // The identity codec's blob is x'00' followed by the UTF-8 of the text (see #encode).
      const insertText = this.#stmt(
        "INSERT INTO events (event_id, trace_id, task_id, parent_id, type, source, data) " +
          "VALUES (?, ?, ?, ?, ?, ?, CAST(x'00' || ? AS BLOB)) ON CONFLICT(event_id) DO NOTHING",
      );
      const index = this.#stmt(
        "INSERT OR REPLACE INTO event_index (event_id, field, value) VALUES (?, ?, ?)",
      );
      const newHeads = new Map<string, Head>();
      for (const x of prepared) {
        const e = x.event;
        const r = (typeof x.blob === "string" ? insertText : insert).run(
          e.event_id,
          e.trace_id,
          e.task_id,
          e.parent_id ?? null,
          e.type,
          e.source,
          x.blob,
        );
        if (r.changes === 0) {
          // Already stored (a repeat, or another writer): retry; the retry sees it as a repeat.
          this.#stmt("ROLLBACK").run();
          return [e.trace_id];
        }
        for (const [field, value] of x.index) index.run(e.event_id, field, value);
        newHeads.set(e.trace_id, { seq: Number(r.lastInsertRowid), hash: e.hash });
      }
      this.#stmt("COMMIT").run();
      for (const [t, h] of newHeads) this.#heads.set(t, h);
      return "ok";
    } catch (e) {
      if (db.isTransaction) {
        try {
          this.#stmt("ROLLBACK").run();
        } catch { /* the original error matters */ }
      }
      throw e;
    }
  }

  /** Begins the write transaction; only when the database is busy does it return a promise. */
  #begin(): Promise<void> | undefined {
    try {
      this.#stmt("BEGIN IMMEDIATE").run();
      return undefined;
    } catch (e) {
      if (!isBusy(e)) {
        throw new Error(
          `Cannot append to "${this.path}": ${e instanceof Error ? e.message : e}`,
          { cause: e },
        );
      }
      return this.#beginRetry();
    }
  }

  async #beginRetry(): Promise<void> {
    let delay = 2;
    for (let attempt = 1;; attempt++) {
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 250);
      try {
        this.#stmt("BEGIN IMMEDIATE").run();
        return;
      } catch (e) {
        if (!isBusy(e) || attempt >= 30) {
          throw new Error(
            `Cannot append to "${this.path}": ${e instanceof Error ? e.message : e}`,
            { cause: e },
          );
        }
      }
    }
  }

  #where(filter: EventFilter | undefined, afterSeq: number): [string, SQLInputValue[]] {
    const clauses = compileFilter(filter, this.#ctxFields);
    const parts = ["seq > ?"];
    const params: SQLInputValue[] = [afterSeq];
    for (const c of clauses) {
      if (c.column) {
        if (c.value === null) parts.push(`${c.field} IS NULL`);
        else {
          parts.push(`${c.field} = ?`);
          params.push(c.value);
        }
      } else if (c.value === null) {
        parts.push("event_id NOT IN (SELECT event_id FROM event_index WHERE field = ?)");
        params.push(c.field);
      } else {
        parts.push("event_id IN (SELECT event_id FROM event_index WHERE field = ? AND value = ?)");
        params.push(c.field, c.value);
      }
    }
    return [parts.join(" AND "), params];
  }

  #checkOpen(what: string): void {
    if (this.#dbClosed) throw new TypeError(`Cannot ${what}: the sink "${this.path}" is closed`);
  }

  #arrayStmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      s.setReturnArrays(true);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #fullRow = (seq: number): EventRow | undefined =>
    this.#stmt(`SELECT ${ROW_COLUMNS} FROM events WHERE seq = ?`).get(seq) as EventRow | undefined;

  /**
   * One page of events in seq order after `params[0]`, with the seq of the last row (0 when
   * none) and, when `seqs` is given, every row's seq pushed onto it. Codec-0 rows are parsed
   * straight from the lean select; any other row is read in full by seq and decoded with its
   * codec (awaited only for a codec without synchronous methods).
   */
  async #page(
    sql: string,
    params: SQLInputValue[],
    seqs: number[] | null,
  ): Promise<{ events: Event[]; last: number }> {
    const rows = this.#arrayStmt(sql).all(...params) as unknown as [number, string | null][];
    const events: Event[] = new Array(rows.length);
    let others: number[] | null = null;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const seq = row[0];
      const text = row[1];
      if (seqs !== null) seqs.push(seq);
      if (text !== null) events[i] = parseLean(seq, text, this.#fullRow);
      else (others ??= []).push(i);
    }
    if (others !== null) {
      // Rows of other codecs: read them in full with one query for the page.
      const full = new Map<number, EventRow>();
      const got = this.#stmt(
        `SELECT ${ROW_COLUMNS} FROM events WHERE seq IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(others.map((i) => rows[i]![0]))) as unknown as EventRow[];
      for (const r of got) full.set(r.seq, r);
      for (const i of others) {
        const seq = rows[i]![0];
        const row = full.get(seq);
        if (row === undefined) {
          throw new Error(`Cannot read event at seq ${seq} of "${this.path}": the row vanished`);
        }
        const event = decodeRow(row, this.#codecs);
        events[i] = event instanceof Promise ? await event : event;
      }
    }
    return { events, last: rows.length > 0 ? rows[rows.length - 1]![0] : 0 };
  }

  #pageSql(
    filter: EventFilter | undefined,
    after: number,
    limit: number,
  ): [string, SQLInputValue[]] {
    const [where, params] = this.#where(filter, after);
    const sql = `SELECT ${LEAN_COLUMNS} FROM events WHERE ${where} ORDER BY seq ASC` +
      (limit >= 0 ? " LIMIT ?" : "");
    if (limit >= 0) params.push(limit);
    return [sql, params];
  }

  /** Events matching `filter` with their seq, in seq order (`afterSeq` exclusive). */
  async queryWithSeq(filter?: EventFilter, options: QueryOptions = {}): Promise<StoredEvent[]> {
    this.#checkOpen("query events");
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    const limit = checkNonNegativeInt("limit", options.limit, -1);
    const [sql, params] = this.#pageSql(filter, after, limit);
    const seqs: number[] = [];
    const { events } = await this.#page(sql, params, seqs);
    return events.map((event, i) => ({ seq: seqs[i]!, event }));
  }

  /** Events matching `filter`, in seq order. */
  async query(filter?: EventFilter, options: QueryOptions = {}): Promise<Event[]> {
    this.#checkOpen("query events");
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    const limit = checkNonNegativeInt("limit", options.limit, -1);
    const [sql, params] = this.#pageSql(filter, after, limit);
    return (await this.#page(sql, params, null)).events;
  }

  /** Events matching `filter`, page by page (keyset on seq, never OFFSET). */
  async *stream(filter?: EventFilter, options: StreamOptions = {}): AsyncGenerator<Event> {
    const batch = checkNonNegativeInt("batchSize", options.batchSize, 500) || 500;
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    this.#checkOpen("stream events");
    const [sql, params] = this.#pageSql(filter, after, batch);
    while (true) {
      options.signal?.throwIfAborted();
      this.#checkOpen("stream events");
      const { events, last } = await this.#page(sql, params, null);
      for (let i = 0; i < events.length; i++) yield events[i]!;
      if (events.length < batch) return;
      params[0] = last;
    }
  }

  /** Number of events matching `filter`. */
  count(filter?: EventFilter): Promise<number> {
    try {
      this.#checkOpen("count events");
      const [where, params] = this.#where(filter, 0);
      const r = this.#stmt(`SELECT COUNT(*) AS n FROM events WHERE ${where}`).get(...params) as {
        n: number;
      };
      return Promise.resolve(r.n);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Waits for pending appends, then closes the database. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.drain();
    if (!this.#dbClosed) {
      this.#dbClosed = true;
      this.#stmts.clear();
      this.#db.close();
    }
  }

  /** Same as {@link SqliteSink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
