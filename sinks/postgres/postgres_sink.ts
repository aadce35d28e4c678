/**
 * `PostgresSink`: the event log on a PostgreSQL server, with `SqliteSink`'s semantics for many
 * writers on many hosts.
 *
 * - `append` is idempotent on `event_id` (a repeat returns the stored copy) and resolves after
 *   its transaction committed. Appends issued together share one transaction (group commit, up
 *   to `maxBatch`); a dropped connection is retried and the retry finds what committed.
 * - Each event is linked into its trace's hash chain (and signed) exactly as `SqliteSink` does.
 *   The database serialises writers per trace (`pg_advisory_xact_lock` in `zu_append`), so
 *   writers in any number of processes never fork a chain.
 * - `query`/`count`/`stream` page by `seq` as SQLite does. `readCommitted`/`tail` follow
 *   committed transactions by the `(xid, seq)` horizon and never skip an event that commits
 *   late; `saveCursor`/`loadCursor` let a consumer resume. LISTEN/NOTIFY is only a wake-up.
 *
 * @example
 * ```ts ignore
 * import { PostgresSink } from "./postgres_sink.ts";
 * import { newEvent } from "../../core/events.ts";
 * await using sink = await PostgresSink.open(Deno.env.get("ZU_PG_URL")!);
 * const e = await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * for await (const { event, cursor } of sink.tail({}, { signal: AbortSignal.timeout(1000) })) {
 *   await sink.saveCursor("exporter", cursor);
 * }
 * ```
 * @module
 */
import { appendRefusal } from "../group_commit.ts";
import { IdentityCodec } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import type {
  EventFilter,
  EventSink,
  PayloadCodec,
  QueryOptions,
  StoredEvent,
  StreamOptions,
} from "../../core/types.ts";
import { checkFilterFieldName, checkNonNegativeInt } from "../filter.ts";
import { connectError, type ConnectOptions, connectPg, redactUrl, type Sql } from "./pg_connect.ts";
import { decodePage, PG_ROW_COLUMNS, pgWhere, rawRows } from "./_read.ts";
import { checkSchemaName, migrate } from "./_schema.ts";
import { NotifyDebouncer } from "./_notify.ts";
import { acquireWriter, type SharedWriter } from "./_shared_writer.ts";
import { PgAppender } from "./_appender.ts";
import { OLDEST_WRITER_SQL } from "./oldest_writer.ts";

/** A position in the commit-ordered stream: the transaction id and seq of the last row read. */
export interface PgCursor {
  /** `xid8` as decimal text (`"0"` before the first row). */
  readonly xid: string;
  /** `seq` of the last row read (0 before the first row). */
  readonly seq: number;
}

/** The cursor before the first event. */
export const START_CURSOR: PgCursor = Object.freeze({ xid: "0", seq: 0 });

/** Options of {@link PostgresSink.open}. */
export interface PostgresSinkOptions extends ConnectOptions {
  /** Schema holding the tables (created when missing). Default `zu`. */
  schema?: string;
  /** Codec for new rows. Default {@link IdentityCodec}. */
  codec?: PayloadCodec;
  /** Extra codecs to read older rows with. */
  readCodecs?: readonly PayloadCodec[];
  /** HMAC key: linked events get `sig`. */
  signKey?: Uint8Array;
  /** ctx fields to index and filter on. */
  filterFields?: Iterable<string>;
  /** Most events per group-commit transaction; 1 = one transaction per event. Default 100. */
  maxBatch?: number;
  /** Send a NOTIFY after commits (a wake-up for tails). Default true. */
  notify?: boolean;
  /** Least ms between two NOTIFYs of this sink. Default 50. */
  notifyDebounceMs?: number;
}

/** Options of {@link PostgresSink.tail}. */
export interface TailOptions {
  /** Start after this cursor. Default {@link START_CURSOR}. */
  cursor?: PgCursor;
  /** Stops the tail (the generator returns). */
  signal?: AbortSignal;
  /** The poll that guarantees delivery, in ms. Default 500. */
  pollMs?: number;
  /** LISTEN for wake-ups. Default: the sink's `notify`. */
  notify?: boolean;
  /** Rows per read. Default 500. */
  batchSize?: number;
}

/** One event from {@link PostgresSink.tail} or {@link PostgresSink.readCommitted}. */
export interface TailItem {
  /** The event. */
  event: Event;
  /** The cursor just after it. */
  cursor: PgCursor;
}

/** The event log on PostgreSQL. */
export class PostgresSink implements EventSink {
  /** The server URL without its password. */
  readonly url: string;
  /** The schema holding the tables. */
  readonly schema: string;
  #sql: Sql;
  #writer: SharedWriter;
  #codecs = new Map<number, PayloadCodec>();
  #ctxFields = new Set<string>();
  #closed = false;
  #ended = false;
  #notify: boolean;
  #notifier: NotifyDebouncer | null;
  #appender: PgAppender;

  private constructor(
    sql: Sql,
    writer: SharedWriter,
    url: string,
    schema: string,
    options: PostgresSinkOptions,
  ) {
    this.#sql = sql;
    this.#writer = writer;
    this.url = redactUrl(url);
    this.schema = schema;
    const codec = options.codec ?? new IdentityCodec();
    this.#codecs.set(0, new IdentityCodec());
    for (const c of options.readCodecs ?? []) this.#codecs.set(c.version, c);
    this.#codecs.set(codec.version, codec);
    const maxBatch = options.maxBatch ?? 100;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(
        `Cannot open the PostgreSQL sink: "maxBatch" must be a whole number >= 1, got "${maxBatch}"`,
      );
    }
    for (const f of options.filterFields ?? []) this.registerFilterField(f);
    this.#notify = options.notify ?? true;
    this.#notifier = this.#notify
      ? new NotifyDebouncer(writer.sql, this.channel, options.notifyDebounceMs ?? 50)
      : null;
    this.#appender = new PgAppender({
      sql,
      writer,
      url: this.url,
      schema,
      codec,
      codecs: this.#codecs,
      signKey: options.signKey ?? null,
      ctxFields: this.#ctxFields,
      maxBatch,
      notifier: this.#notifier,
      isEnded: () => this.#ended,
    });
  }

  /**
   * Connects to `url`, creates or migrates the schema, and returns the sink. Throws `UserError`
   * (`sink_unreadable`) naming the server, never the password, when it cannot connect.
   */
  static async open(url: string, options: PostgresSinkOptions = {}): Promise<PostgresSink> {
    const schema = checkSchemaName(options.schema ?? "zu");
    const sql = connectPg(url, options);
    // Appends (and the NOTIFY after them) go through the process's writer connection for this
    // server and schema, opened here by the migration; the read pool connects at the first read.
    const writer = acquireWriter(url, options, schema);
    try {
      await migrate(writer.sql, schema);
    } catch (e) {
      await sql.end({ timeout: 1 }).catch(() => {});
      await writer.release().catch(() => {});
      let password: string | undefined;
      try {
        password = decodeURIComponent(new URL(url).password) || undefined;
      } catch { /* no password to hide */ }
      throw connectError(e, url, password);
    }
    return new PostgresSink(sql, writer, url, schema, options);
  }

  /** The NOTIFY channel of this schema. */
  get channel(): string {
    return `${this.schema}.zu_events`;
  }

  /** Indexes `payload.ctx[field]` of new events and lets filters use it. */
  registerFilterField(field: string): void {
    checkFilterFieldName(field);
    this.#ctxFields.add(field);
  }

  /**
   * Stores `event`, linked into its trace's chain unless it already has a hash. Resolves with the
   * stored copy once committed; a repeat of a stored `event_id` resolves with the stored copy.
   */
  append(event: Event): Promise<Event> {
    const refused = appendRefusal(event, this.#closed);
    return refused ? Promise.reject(refused) : this.#appender.enqueue(event);
  }

  #checkOpen(what: string): void {
    if (this.#ended) throw new TypeError(`Cannot ${what}: the sink "${this.url}" is closed`);
  }

  #pageSql(filter: EventFilter | undefined, after: number, limit: number): [string, unknown[]] {
    const params: unknown[] = [after];
    const parts = ["e.seq > $1", ...pgWhere(this.schema, filter, this.#ctxFields, params)];
    let q = `select ${PG_ROW_COLUMNS} from ${this.schema}.zu_events e where ${
      parts.join(" and ")
    } order by e.seq`;
    if (limit >= 0) {
      params.push(limit);
      q += ` limit $${params.length}`;
    }
    return [q, params];
  }

  /** Events matching `filter` with their seq, in seq order (`afterSeq` exclusive). */
  async queryWithSeq(filter?: EventFilter, options: QueryOptions = {}): Promise<StoredEvent[]> {
    this.#checkOpen("query events");
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    const limit = checkNonNegativeInt("limit", options.limit, -1);
    const rows = await rawRows(this.#sql, ...this.#pageSql(filter, after, limit));
    const events = await decodePage(rows, this.#codecs);
    return events.map((event, i) => ({ seq: Number(rows[i]![0]), event }));
  }

  /** Events matching `filter`, in seq order. */
  async query(filter?: EventFilter, options: QueryOptions = {}): Promise<Event[]> {
    this.#checkOpen("query events");
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    const limit = checkNonNegativeInt("limit", options.limit, -1);
    const rows = await rawRows(this.#sql, ...this.#pageSql(filter, after, limit));
    return await decodePage(rows, this.#codecs);
  }

  /** Events matching `filter`, page by page (keyset on seq, never OFFSET). */
  async *stream(filter?: EventFilter, options: StreamOptions = {}): AsyncGenerator<Event> {
    const batch = checkNonNegativeInt("batchSize", options.batchSize, 500) || 500;
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    this.#checkOpen("stream events");
    const [q, params] = this.#pageSql(filter, after, batch);
    // The next page is asked for as soon as a page arrives, so the server reads it while this
    // one is decoded and consumed (keyset paging: its start is the last seq of this page).
    const fetch = (from: unknown) => {
      const p = rawRows(this.#sql, q, [from, ...params.slice(1)]);
      p.catch(() => {}); // a consumer that stops early never awaits its prefetch
      return p;
    };
    let next = fetch(params[0]);
    while (true) {
      options.signal?.throwIfAborted();
      this.#checkOpen("stream events");
      const rows = await next;
      if (rows.length === batch) next = fetch(rows[rows.length - 1]![0]);
      const events = await decodePage(rows, this.#codecs);
      for (const e of events) yield e;
      if (rows.length < batch) return;
    }
  }

  /** Number of events matching `filter`. */
  async count(filter?: EventFilter): Promise<number> {
    this.#checkOpen("count events");
    const params: unknown[] = [];
    const parts = ["true", ...pgWhere(this.schema, filter, this.#ctxFields, params)];
    const rows = await rawRows(
      this.#sql,
      `select count(*) from ${this.schema}.zu_events e where ${parts.join(" and ")}`,
      params,
    );
    return Number(rows[0]![0]);
  }

  /**
   * The next committed events after `cursor` in commit order (`(xid, seq)`), at most `limit`.
   * Only transactions older than every running one are read, so a transaction that commits late
   * is read later, never skipped.
   */
  async readCommitted(
    filter: EventFilter | undefined,
    cursor: PgCursor = START_CURSOR,
    limit = 500,
  ): Promise<TailItem[]> {
    this.#checkOpen("read events");
    const params: unknown[] = [cursor.xid, cursor.seq];
    const parts = [
      "(e.xid, e.seq) > ($1::xid8, $2::int8)",
      "e.xid < pg_snapshot_xmin(pg_current_snapshot())",
      ...pgWhere(this.schema, filter, this.#ctxFields, params),
    ];
    params.push(limit);
    const rows = await rawRows(
      this.#sql,
      `select ${PG_ROW_COLUMNS}, e.xid::text from ${this.schema}.zu_events e where ${
        parts.join(" and ")
      } order by e.xid, e.seq limit $${params.length}`,
      params,
    );
    const events = await decodePage(rows, this.#codecs);
    return events.map((event, i) => ({
      event,
      cursor: Object.freeze({ xid: rows[i]![8] as string, seq: Number(rows[i]![0]) }),
    }));
  }

  /**
   * Follows committed events after `options.cursor` until `options.signal` aborts: reads in
   * commit order, then waits for a NOTIFY (a hint) or the poll (the guarantee), and reads again
   * from its cursor (also after the listener reconnects).
   */
  async *tail(filter?: EventFilter, options: TailOptions = {}): AsyncGenerator<TailItem> {
    const pollMs = options.pollMs ?? 500;
    const batch = checkNonNegativeInt("batchSize", options.batchSize, 500) || 500;
    let cursor = options.cursor ?? START_CURSOR;
    const signal = options.signal;
    let dirty = false;
    let wake: (() => void) | null = null;
    const poke = () => {
      dirty = true;
      wake?.();
    };
    const listener = (options.notify ?? this.#notify)
      ? await this.#sql.listen(this.channel, poke, poke)
      : null;
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      while (!signal?.aborted) {
        dirty = false;
        const items = await this.readCommitted(filter, cursor, batch);
        for (const item of items) {
          if (signal?.aborted) return;
          cursor = item.cursor;
          yield item;
        }
        if (items.length === batch || dirty) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollMs);
          function done() {
            clearTimeout(timer);
            wake = null;
            resolve();
          }
          wake = done;
          if (dirty || signal?.aborted) done();
        });
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (listener && !this.#ended) await listener.unlisten().catch(() => {});
    }
  }

  /** Stores `cursor` as the position of `consumer` (upsert). */
  async saveCursor(consumer: string, cursor: PgCursor): Promise<void> {
    this.#checkOpen("save a cursor");
    await this.#sql.unsafe(
      `insert into ${this.schema}.zu_cursors (consumer, xid, seq, updated) ` +
        "values ($1, $2::xid8, $3, now()) on conflict (consumer) do update " +
        "set xid = excluded.xid, seq = excluded.seq, updated = now()",
      [consumer, cursor.xid, cursor.seq],
    );
  }

  /** The stored cursor of `consumer`, or null when it has none. */
  async loadCursor(consumer: string): Promise<PgCursor | null> {
    this.#checkOpen("load a cursor");
    const rows = await rawRows(
      this.#sql,
      `select xid::text, seq from ${this.schema}.zu_cursors where consumer = $1`,
      [consumer],
    );
    const r = rows[0];
    return r ? Object.freeze({ xid: r[0] as string, seq: Number(r[1]) }) : null;
  }

  /**
   * Milliseconds since the oldest open transaction holding a transaction id elsewhere began (0
   * when none; `OLDEST_WRITER_SQL`): how far commit-ordered readers may lag.
   */
  async storeLagMs(): Promise<number> {
    this.#checkOpen("read the store lag");
    const rows = await rawRows(this.#sql, OLDEST_WRITER_SQL, []);
    return rows.length === 0 ? 0 : Math.max(0, Number(rows[0]![1]) * 1000);
  }

  /** Waits for pending appends, sends a due NOTIFY, then closes the pool. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#appender.drain();
    if (!this.#ended) {
      await this.#notifier?.flush();
      this.#ended = true;
      // A connection the server killed can keep postgres.js from ending on its own: queries of
      // ours are done by now, so give the rest a second and then destroy.
      await Promise.all([this.#sql.end({ timeout: 1 }), this.#writer.release()]);
    }
  }

  /** Same as {@link PostgresSink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
