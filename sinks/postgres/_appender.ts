/**
 * The write side of the PostgreSQL sink: the append queue (group commit), linking and encoding
 * exactly as `SqliteSink` does, the optimistic `zu_append` call, the locked retry after a head
 * miss, and retries of dropped connections.
 *
 * @module
 */
import { appendError, GroupCommitQueue, type PendingAppend } from "../group_commit.ts";
import { linkEvent } from "../../core/chain.ts";
import { encodePayload, encodePayloadSync, isSyncCodec, rowAad } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { toZuJson } from "../../core/json.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { ctxIndexEntries } from "../filter.ts";
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

interface Head {
  pos: number;
  hash: string | null;
}

/** What one preparation links on and leaves: heads per trace, the ids seen, the heads it used. */
interface PrepState {
  /** The head each trace is at after the events prepared so far. */
  running: Map<string, Head>;
  /** The first append of each event id prepared so far. */
  seen: Map<string, Pending>;
  /** The head each trace had when this preparation first linked on it. */
  basis: Map<string, Head>;
}

function newPrepState(): PrepState {
  return { running: new Map(), seen: new Map(), basis: new Map() };
}

/** The heads `prepared` leaves when it commits. */
function runningAfter(prepared: Prepared[]): Map<string, Head> {
  const out = new Map<string, Head>();
  for (const x of prepared) out.set(x.event.trace_id, { pos: x.head + 1, hash: x.event.hash });
  return out;
}

/** Appends prepared ahead while the batch before them is in flight. */
interface Lookahead {
  pendings: Pending[];
  state: PrepState;
  result: Promise<Prepared[]>;
}

class Rollback {
  constructor(readonly statuses: Status[]) {}
}

const MAX_ATTEMPTS = 40;
/** Named prepared statements: one round trip per call after the first (no describe per call). */
const PREPARE = { prepare: true } as const;
const MAX_TRANSIENT = 8;
const EMPTY_HEAD: Head = Object.freeze({ pos: 0, hash: null });
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
  #codec: PayloadCodec;
  #codecs: ReadonlyMap<number, PayloadCodec>;
  #signKey: Uint8Array | null;
  #ctxFields: ReadonlySet<string>;
  #maxBatch: number;
  #notifier: NotifyDebouncer | null;
  #isEnded: () => boolean;
  #heads = new Map<string, Head>();
  #queue: GroupCommitQueue;
  #ahead: Lookahead | null = null;

  constructor(o: AppenderOptions) {
    this.url = o.url;
    this.schema = o.schema;
    this.#sql = o.sql;
    this.#writer = o.writer;
    this.#codec = o.codec;
    this.#codecs = o.codecs;
    this.#signKey = o.signKey;
    this.#ctxFields = o.ctxFields;
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

  #encode(event: Event): Uint8Array | Promise<Uint8Array> {
    const text = toZuJson(event);
    const aad = rowAad(event);
    return isSyncCodec(this.#codec)
      ? encodePayloadSync(this.#codec, text, aad)
      : encodePayload(this.#codec, text, aad);
  }

  /**
   * Links and encodes `work` in order on the heads in `state` (then this sink's cached heads),
   * merging repeats of an event id into their first append; `state` is advanced past them.
   */
  async #prepare(work: Pending[], state: PrepState = newPrepState()): Promise<Prepared[]> {
    const fresh: Pending[] = [];
    const seen = state.seen;
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
    const { running, basis } = state;
    const prepared: Prepared[] = [];
    for (const p of fresh) {
      const t = p.event.trace_id;
      const head = running.get(t) ?? this.#heads.get(t) ?? EMPTY_HEAD;
      if (!basis.has(t)) basis.set(t, head);
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
        p.reject(appendError(p.event.event_id, e));
      }
    }
    return prepared;
  }

  /**
   * While a batch is in flight, links and encodes the appends queued behind it on the heads that
   * batch will leave when it commits (`running`), so the next call can go out the moment this one
   * returns: the client's work overlaps the server's instead of adding to it.
   */
  #startLookahead(running: ReadonlyMap<string, Head>): void {
    const next = this.#queue.peek();
    if (next.length === 0) return;
    const pendings = next.slice();
    const state: PrepState = { running: new Map(running), seen: new Map(), basis: new Map() };
    // Yield to the event loop first: the call just queued is written to the socket then.
    const result = new Promise((r) => setTimeout(r, 0)).then(() => this.#prepare(pendings, state));
    result.catch(() => {});
    this.#ahead = { pendings, state, result };
  }

  /**
   * `work` linked and encoded: the lookahead's result when it covers a prefix of `work` and the
   * heads it linked on are the sink's heads now (the batch before it committed as assumed), the
   * rest prepared after it; otherwise prepared afresh.
   */
  async #prepareBatch(work: Pending[]): Promise<Prepared[]> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null && ahead.pendings.length <= work.length) {
      let prefix = true;
      for (let i = 0; prefix && i < ahead.pendings.length; i++) {
        prefix = ahead.pendings[i] === work[i];
      }
      const got = prefix ? await ahead.result.catch(() => null) : null;
      if (got !== null && this.#basisHolds(ahead.state.basis)) {
        if (ahead.pendings.length === work.length) return got;
        const rest = await this.#prepare(work.slice(ahead.pendings.length), ahead.state);
        return got.concat(rest);
      }
    }
    return await this.#prepare(work);
  }

  /** True when every head in `basis` is the sink's cached head of its trace now. */
  #basisHolds(basis: ReadonlyMap<string, Head>): boolean {
    for (const [t, h] of basis) {
      const now = this.#heads.get(t) ?? EMPTY_HEAD;
      if (now.pos !== h.pos || now.hash !== h.hash) return false;
    }
    return true;
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
        prepared = await this.#prepareBatch(work);
        if (prepared.length === 0) return;
        const sending = this.#send(prepared);
        this.#startLookahead(runningAfter(prepared));
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
          prepared = await this.#prepare(work.filter((p) => !have.has(p.event.event_id)));
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
