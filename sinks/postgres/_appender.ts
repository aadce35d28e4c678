/**
 * The write side of the PostgreSQL sink: the append queue (group commit), the optimistic
 * `zu_append` call, the locked retry after a head miss, and retries of dropped connections.
 * Linking and encoding (and preparing the next batch while one is in flight) are `_preparer.ts`.
 *
 * @module
 */
import { GroupCommitQueue, type PendingAppend } from "../group_commit.ts";
import type { Event } from "../../core/events.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { BatchPreparer, EMPTY_HEAD, type Head } from "./_preparer.ts";
import type { NotifyDebouncer } from "./_notify.ts";
import { decodePage, PG_ROW_COLUMNS, rawRows } from "./_read.ts";
import { isTransient, type Sql } from "./pg_connect.ts";
import {
  appendCall,
  isUniqueViolation,
  type Prepared,
  retryAll,
  type Status,
} from "./_append_call.ts";
import type { SharedWriter } from "./_shared_writer.ts";

type Pending = PendingAppend;

class Rollback {
  constructor(readonly statuses: Status[]) {}
}

const MAX_ATTEMPTS = 40;
/** Named prepared statements: one round trip per call after the first (no describe per call). */
const PREPARE = { prepare: true } as const;
const MAX_TRANSIENT = 8;
/** What {@link PgAppender} writes with. */
export interface AppenderOptions {
  /** The pool (reads of stored copies). */
  sql: Sql;
  /**
   * The writer: one connection shared by this process's sinks of the same server and schema, so
   * a NOTIFY queued right behind an append runs after it (its own statement, after the commit).
   */
  writer: SharedWriter;
  /** The server URL without its password, for messages. */
  url: string;
  /** The schema. */
  schema: string;
  /** Codec for new rows. */
  codec: PayloadCodec;
  /** Codecs by version, to read stored copies. */
  codecs: ReadonlyMap<number, PayloadCodec>;
  /** HMAC key, or null. */
  signKey: Uint8Array | null;
  /** The registered ctx fields (read at each append). */
  ctxFields: ReadonlySet<string>;
  /** Most events per transaction. */
  maxBatch: number;
  /** The NOTIFY sender, or null. */
  notifier: NotifyDebouncer | null;
  /** True once the pool is closing (no more retries). */
  isEnded: () => boolean;
}

/** The append queue of one sink. */
export class PgAppender {
  /** The server URL without its password. */
  readonly url: string;
  /** The schema. */
  readonly schema: string;
  #sql: Sql;
  #writer: SharedWriter;
  #codecs: ReadonlyMap<number, PayloadCodec>;
  #maxBatch: number;
  #notifier: NotifyDebouncer | null;
  #isEnded: () => boolean;
  #heads = new Map<string, Head>();
  #queue: GroupCommitQueue;
  #prep: BatchPreparer;

  constructor(o: AppenderOptions) {
    this.url = o.url;
    this.schema = o.schema;
    this.#sql = o.sql;
    this.#writer = o.writer;
    this.#codecs = o.codecs;
    this.#prep = new BatchPreparer({
      codec: o.codec,
      signKey: o.signKey,
      ctxFields: o.ctxFields,
      heads: this.#heads,
    });
    this.#maxBatch = o.maxBatch;
    this.#queue = new GroupCommitQueue((batch) => this.#writeBatch(batch), this.#maxBatch);
    this.#notifier = o.notifier;
    this.#isEnded = o.isEnded;
  }

  /** Queues `event`; resolves with the stored copy once its transaction committed. */
  enqueue(event: Event): Promise<Event> {
    return this.#queue.enqueue(event);
  }

  /** Waits until every queued append settled. */
  drain(): Promise<void> {
    return this.#queue.drain();
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    let work = batch;
    for (let attempt = 0; work.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          `Cannot append to "${this.url}": the log kept changing under concurrent writers (${MAX_ATTEMPTS} attempts)`,
        );
      }
      // First try: link on the cached heads, one autocommit call for the batch, no lock held
      // across round trips.
      // After a miss: lock the traces, read their heads and link under the lock (always fits).
      let prepared: Prepared[];
      let statuses: Status[];
      let notified = false;
      if (attempt === 0) {
        prepared = await this.#prep.prepareBatch(work);
        if (prepared.length === 0) return;
        const sending = this.#send(prepared);
        this.#prep.startLookahead(this.#queue.peek(), prepared);
        const sent = await sending;
        [statuses, notified] = [sent.statuses, sent.notified];
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
        if (!notified) this.#notifier?.poke(prepared[prepared.length - 1]!.event.trace_id);
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

  /** Runs `fn`, again after a dropped connection or a transient server state. */
  async #retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (isTransient(e) && attempt < MAX_TRANSIENT && !this.#isEnded()) {
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

  /**
   * Sends `prepared` as one autocommit call (`zu_append` or `zu_append_batch`, maybe together
   * with other sinks' appends), retrying a dropped connection; a NOTIFY that is due is queued
   * right behind it on the writer connection.
   * A concurrent insert of one of its ids fails the call: every event is then `retry`.
   */
  #send(prepared: Prepared[]): Promise<{ statuses: Status[]; notified: boolean }> {
    return this.#retrying(async () => {
      let notified = false;
      const notifier = this.#notifier;
      const trace = prepared[prepared.length - 1]!.event.trace_id;
      const sent = notifier ? () => notified = notifier.claim(trace) : null;
      try {
        return { statuses: await this.#writer.submit(prepared, sent), notified };
      } catch (e) {
        if (isUniqueViolation(e)) return { statuses: retryAll(prepared.length), notified };
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
        const statuses = await this.#writer.sql.begin(async (txn) => {
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
          prepared = await this.#prep.prepare(work.filter((p) => !have.has(p.event.event_id)));
          const out = prepared.length === 0 ? [] : await appendCall(tx, s, prepared);
          if (out.some((x) => x.r_status !== "ok")) throw new Rollback(out);
          return out;
        }) as unknown as Status[];
        return { prepared, statuses, stored };
      } catch (e) {
        if (e instanceof Rollback) return { prepared, statuses: e.statuses, stored };
        if (isUniqueViolation(e)) {
          return { prepared, statuses: retryAll(prepared.length), stored };
        }
        throw e;
      }
    });
  }
}
