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
import { checkFilterFieldName, checkNonNegativeInt, ctxIndexEntries } from "../filter.ts";
import {
  connectError,
  type ConnectOptions,
  connectPg,
  isTransient,
  redactUrl,
  type Sql,
} from "./pg_connect.ts";
import { decodePage, PG_ROW_COLUMNS, pgWhere, rawRows } from "./_read.ts";
import { checkSchemaName, migrate } from "./_schema.ts";
import { NotifyDebouncer } from "./_notify.ts";

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

interface Pending {
  event: Event;
  resolve: (e: Event) => void;
  reject: (e: unknown) => void;
}

interface Head {
  pos: number;
  hash: string | null;
}

interface Prepared {
  event: Event;
  pending: Pending;
  blob: Uint8Array;
  index: string[] | null;
  head: number;
}

interface Status {
  r_status: "ok" | "exists" | "moved";
  r_seq: string | null;
  r_pos: number | null;
  r_hash: string | null;
}

class Rollback {
  constructor(readonly statuses: Status[]) {}
}

const MAX_ATTEMPTS = 40;
/** Named prepared statements: one round trip per call after the first (no describe per call). */
const PREPARE = { prepare: true } as const;
const MAX_TRANSIENT = 8;
const EMPTY_HEAD: Head = Object.freeze({ pos: 0, hash: null });

/** The event log on PostgreSQL. */
export class PostgresSink implements EventSink {
  /** The server URL without its password. */
  readonly url: string;
  /** The schema holding the tables. */
  readonly schema: string;
  #sql: Sql;
  #codec: PayloadCodec;
  #codecs = new Map<number, PayloadCodec>();
  #signKey: Uint8Array | null;
  #ctxFields = new Set<string>();
  #maxBatch: number;
  #heads = new Map<string, Head>();
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;
  #ended = false;
  #notify: boolean;
  #notifier: NotifyDebouncer | null;
  #appendSql: string;

  private constructor(sql: Sql, url: string, schema: string, options: PostgresSinkOptions) {
    this.#sql = sql;
    this.url = redactUrl(url);
    this.schema = schema;
    this.#codec = options.codec ?? new IdentityCodec();
    this.#codecs.set(0, new IdentityCodec());
    for (const c of options.readCodecs ?? []) this.#codecs.set(c.version, c);
    this.#codecs.set(this.#codec.version, this.#codec);
    this.#signKey = options.signKey ?? null;
    this.#maxBatch = checkNonNegativeInt("maxBatch", options.maxBatch, 100) || 1;
    for (const f of options.filterFields ?? []) this.registerFilterField(f);
    this.#notify = options.notify ?? true;
    this.#notifier = this.#notify
      ? new NotifyDebouncer(sql, this.channel, options.notifyDebounceMs ?? 50)
      : null;
    this.#appendSql = `select r_status, r_seq, r_pos, r_hash from ${schema}.zu_append(` +
      "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
  }

  /**
   * Connects to `url`, creates or migrates the schema, and returns the sink. Throws `UserError`
   * (`sink_unreadable`) naming the server, never the password, when it cannot connect.
   */
  static async open(url: string, options: PostgresSinkOptions = {}): Promise<PostgresSink> {
    const schema = checkSchemaName(options.schema ?? "zu");
    const sql = connectPg(url, options);
    try {
      await migrate(sql, schema);
    } catch (e) {
      await sql.end({ timeout: 1 }).catch(() => {});
      let password: string | undefined;
      try {
        password = decodeURIComponent(new URL(url).password) || undefined;
      } catch { /* no password to hide */ }
      throw connectError(e, url, password);
    }
    return new PostgresSink(sql, url, schema, options);
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
    if (this.#closed) {
      return Promise.reject(
        new TypeError(`Cannot append event "${event?.event_id}": the sink is closed`),
      );
    }
    if (event === null || typeof event !== "object" || typeof event.event_id !== "string") {
      return Promise.reject(
        new TypeError("Cannot append: the value is not an event (no event_id)"),
      );
    }
    return new Promise<Event>((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      if (this.#flushing === null) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      for (let i = 0; i < 3; i++) await Promise.resolve();
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          await this.#writeBatch(batch);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
        if (this.#pending.length === 0) await Promise.resolve();
      }
    } finally {
      this.#flushing = null;
    }
  }

  #encode(event: Event): Uint8Array | Promise<Uint8Array> {
    const text = toZuJson(event);
    const aad = rowAad(event);
    return isSyncCodec(this.#codec)
      ? encodePayloadSync(this.#codec, text, aad)
      : encodePayload(this.#codec, text, aad);
  }

  async #prepare(work: Pending[]): Promise<Prepared[]> {
    const fresh: Pending[] = [];
    const seen = new Map<string, Pending>();
    for (const p of work) {
      const first = seen.get(p.event.event_id);
      if (first === undefined) {
        seen.set(p.event.event_id, p);
        fresh.push(p);
        continue;
      }
      const [res, rej] = [first.resolve, first.reject];
      first.resolve = (e) => {
        res(e);
        p.resolve(e);
      };
      first.reject = (e) => {
        rej(e);
        p.reject(e);
      };
    }
    const running = new Map<string, Head>();
    const prepared: Prepared[] = [];
    for (const p of fresh) {
      const t = p.event.trace_id;
      const head = running.get(t) ?? this.#heads.get(t) ?? EMPTY_HEAD;
      try {
        const linked = p.event.hash === null || p.event.hash === undefined
          ? linkEvent(p.event, head.hash, this.#signKey)
          : (Object.isFrozen(p.event) ? p.event : Object.freeze({ ...p.event }));
        const encoded = this.#encode(linked);
        const blob = encoded instanceof Promise ? await encoded : encoded;
        const entries = this.#ctxFields.size === 0 ? [] : ctxIndexEntries(linked, this.#ctxFields);
        prepared.push({
          event: linked,
          pending: p,
          blob,
          index: entries.length === 0 ? null : entries.flat(),
          head: head.pos,
        });
        running.set(t, { pos: head.pos + 1, hash: linked.hash });
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        p.reject(
          e instanceof TypeError
            ? new TypeError(
              `Cannot append event "${p.event.event_id}": it is not JSON-serialisable (${why})`,
              { cause: e },
            )
            : new Error(`Cannot append event "${p.event.event_id}": ${why}`, { cause: e }),
        );
      }
    }
    return prepared;
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    let work = batch;
    for (let attempt = 0; work.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `Cannot append to "${this.url}": the log kept changing under concurrent writers (${MAX_ATTEMPTS} attempts)`,
        );
      }
      // First try: link on the cached heads, one call per event, no lock held by this process.
      // After a miss: lock the traces, read their heads and link under the lock (always fits).
      let prepared: Prepared[];
      let statuses: Status[];
      if (attempt === 0) {
        prepared = await this.#prepare(work);
        statuses = prepared.length === 0 ? [] : await this.#send(prepared);
      } else {
        const r = await this.#sendLocked(work);
        [prepared, statuses] = [r.prepared, r.statuses];
        if (r.stored.length > 0) {
          await this.#settleStored(r.stored.map((p) => ({ event: p.event, pending: p })));
        }
      }
      if (prepared.length === 0) return;
      const committed = statuses.every((s) => s.r_status === "ok");
      if (committed) {
        for (let i = 0; i < prepared.length; i++) {
          const x = prepared[i]!;
          this.#heads.set(x.event.trace_id, { pos: statuses[i]!.r_pos!, hash: x.event.hash });
          x.pending.resolve(x.event);
        }
        this.#notifier?.poke(prepared[prepared.length - 1]!.event.trace_id);
        return;
      }
      // Not committed (a batch is all or nothing): settle the repeats, learn the moved heads,
      // and redo the rest.
      const exists: Prepared[] = [];
      work = [];
      for (let i = 0; i < prepared.length; i++) {
        const x = prepared[i]!;
        const s = statuses[i]!;
        if (s.r_status === "exists") exists.push(x);
        else work.push(x.pending);
        if (s.r_status === "moved") {
          this.#heads.set(x.event.trace_id, { pos: s.r_pos ?? 0, hash: s.r_hash });
        } else if (s.r_status === "exists") this.#heads.delete(x.event.trace_id);
      }
      if (exists.length > 0) await this.#settleStored(exists);
    }
  }

  async #settleStored(list: { event: Event; pending: Pending }[]): Promise<void> {
    const rows = await rawRows(
      this.#sql,
      `select ${PG_ROW_COLUMNS} from ${this.schema}.zu_events e where event_id = any($1::text[])`,
      [list.map((x) => x.event.event_id)],
    );
    const events = await decodePage(rows, this.#codecs);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    for (const x of list) {
      const e = byId.get(x.event.event_id);
      if (e) x.pending.resolve(e);
      else {x.pending.reject(
          new Error(`Cannot append event "${x.event.event_id}": its stored copy vanished`),
        );}
    }
  }

  #call(sql: Sql, x: Prepared): Promise<Status[]> {
    const e = x.event;
    return sql.unsafe(this.#appendSql, [
      e.event_id,
      e.trace_id,
      e.task_id,
      e.parent_id ?? null,
      e.type,
      e.source,
      x.head,
      e.prev_hash ?? null,
      e.hash,
      e.sig ?? null,
      x.blob[0]!,
      x.blob,
      x.index,
      // deno-lint-ignore no-explicit-any
    ] as any[], PREPARE) as unknown as Promise<Status[]>;
  }

  /** Runs `fn`, again after a dropped connection or a transient server state. */
  async #retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (isTransient(e) && attempt < MAX_TRANSIENT && !this.#ended) {
          await new Promise((r) => setTimeout(r, Math.min(20 * 2 ** attempt, 1000)));
          continue;
        }
        throw new Error(
          `Cannot append to "${this.url}": ${e instanceof Error ? e.message : e}`,
          { cause: e },
        );
      }
    }
  }

  #lockSql(tx: Sql, traces: string[]): Promise<unknown> {
    // Every trace of the transaction, in key order, so two batches never deadlock.
    return tx.unsafe(
      "select pg_advisory_xact_lock(k) from (select distinct hashtextextended(t, 0) as k " +
        "from unnest($1::text[]) t order by 1) s",
      [traces],
      PREPARE,
    );
  }

  /** Sends `prepared` (one autocommit call, or one transaction), retrying a dropped connection. */
  #send(prepared: Prepared[]): Promise<Status[]> {
    return this.#retrying(async () => {
      if (prepared.length === 1) return await this.#call(this.#sql, prepared[0]!);
      try {
        return await this.#sql.begin(async (tx) => {
          const traces = [...new Set(prepared.map((x) => x.event.trace_id))];
          // The lock is sent first; the calls follow in the same pipeline.
          const lock = this.#lockSql(tx as unknown as Sql, traces);
          const calls = prepared.map((x) => this.#call(tx as unknown as Sql, x));
          const [, ...res] = await Promise.all([lock, ...calls]);
          const statuses = res.map((r) => (r as Status[])[0]!);
          if (statuses.some((s) => s.r_status !== "ok")) throw new Rollback(statuses);
          return statuses;
        }) as unknown as Status[];
      } catch (e) {
        if (e instanceof Rollback) return e.statuses;
        throw e;
      }
    });
  }

  /**
   * One transaction that locks the traces of `work`, reads their heads and which events are
   * already stored, links the rest under the lock and inserts them. Returns what it sent, the
   * statuses, and the repeats (already stored).
   */
  #sendLocked(
    work: Pending[],
  ): Promise<{ prepared: Prepared[]; statuses: Status[]; stored: Pending[] }> {
    const s = this.schema;
    return this.#retrying(async () => {
      let prepared: Prepared[] = [];
      let stored: Pending[] = [];
      try {
        const statuses = await this.#sql.begin(async (txn) => {
          const tx = txn as unknown as Sql;
          const traces = [...new Set(work.map((p) => p.event.trace_id))];
          const [, heads, existing] = await Promise.all([
            this.#lockSql(tx, traces),
            tx.unsafe(
              `select distinct on (trace_id) trace_id, trace_pos, hash from ${s}.zu_events ` +
                "where trace_id = any($1::text[]) order by trace_id, trace_pos desc",
              [traces],
              PREPARE,
            ),
            tx.unsafe(`select event_id from ${s}.zu_events where event_id = any($1::text[])`, [
              work.map((p) => p.event.event_id),
            ], PREPARE),
          ]);
          for (const t of traces) this.#heads.set(t, EMPTY_HEAD);
          for (const h of heads) {
            this.#heads.set(h.trace_id as string, {
              pos: h.trace_pos as number,
              hash: h.hash as string,
            });
          }
          const have = new Set(existing.map((r) => r.event_id as string));
          stored = work.filter((p) => have.has(p.event.event_id));
          prepared = await this.#prepare(work.filter((p) => !have.has(p.event.event_id)));
          const res = await Promise.all(prepared.map((x) => this.#call(tx, x)));
          const out = res.map((r) => r[0]!);
          if (out.some((x) => x.r_status !== "ok")) throw new Rollback(out);
          return out;
        }) as unknown as Status[];
        return { prepared, statuses, stored };
      } catch (e) {
        if (e instanceof Rollback) return { prepared, statuses: e.statuses, stored };
        throw e;
      }
    });
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
    while (true) {
      options.signal?.throwIfAborted();
      this.#checkOpen("stream events");
      const rows = await rawRows(this.#sql, q, params);
      const events = await decodePage(rows, this.#codecs);
      for (const e of events) yield e;
      if (rows.length < batch) return;
      params[0] = rows[rows.length - 1]![0];
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
   * Milliseconds since the oldest open transaction of the server began (0 when none): how far
   * commit-ordered readers may lag (`harness.store.lag`).
   */
  async storeLagMs(): Promise<number> {
    this.#checkOpen("read the store lag");
    const rows = await rawRows(
      this.#sql,
      "select coalesce(extract(epoch from now() - min(xact_start)) * 1000, 0)::float8 " +
        "from pg_stat_activity where xact_start is not null and pid <> pg_backend_pid()",
      [],
    );
    return Math.max(0, Number(rows[0]![0]));
  }

  /** Waits for pending appends, sends a due NOTIFY, then closes the pool. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== null) await this.#flushing;
    if (!this.#ended) {
      await this.#notifier?.flush();
      this.#ended = true;
      // A connection the server killed can keep postgres.js from ending on its own: queries of
      // ours are done by now, so give the rest a second and then destroy.
      await this.#sql.end({ timeout: 1 });
    }
  }

  /** Same as {@link PostgresSink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
