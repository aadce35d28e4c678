/**
 * The write connection of the PostgreSQL sinks of this process: one per server, connection
 * options and schema, shared by every sink opened with them. Calls submitted while one is in
 * flight go out together as one `zu_append_batch` call (group commit across sinks), so many
 * writers in one process cost one round trip and one commit per batch, not one each.
 *
 * @module
 */
import { appendCall, type Prepared, type Status } from "./_append_call.ts";
import { type ConnectOptions, connectPg, type Sql } from "./pg_connect.ts";

interface Submission {
  list: Prepared[];
  sent: (() => void) | null;
  resolve: (s: Status[]) => void;
  reject: (e: unknown) => void;
}

/** Microtask turns to wait before each call, for appends resolved in the same tick to join. */
const GATHER_TICKS = 40;
/** Most rows of one combined call. */
const MAX_ROWS = 1000;

/** One shared writer (see the module doc). */
export class SharedWriter {
  /** A one-connection pool: what is queued on it runs in order, on one connection. */
  readonly sql: Sql;
  /** The schema. */
  readonly schema: string;
  #key: string;
  #refs = 1;
  #waiting: Submission[] = [];
  #busy = false;

  constructor(key: string, sql: Sql, schema: string) {
    this.#key = key;
    this.sql = sql;
    this.schema = schema;
  }

  /**
   * Appends `list` (non-empty), alone or together with other sinks' lists (all or nothing);
   * `sent` runs right after the call was queued on the connection. Resolves with `list`'s
   * statuses, or rejects with the call's error.
   */
  submit(list: Prepared[], sent: (() => void) | null): Promise<Status[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ list, sent, resolve, reject });
      if (!this.#busy) this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#waiting.length > 0) {
        // Let the other sinks whose appends just settled queue their next ones (group commit);
        // a lone sink's own queue does that already.
        if (this.#refs > 1) { for (let i = 0; i < GATHER_TICKS; i++) await Promise.resolve(); }
        let rows = 0;
        let take = 0;
        while (
          take < this.#waiting.length &&
          (take === 0 || rows + this.#waiting[take]!.list.length <= MAX_ROWS)
        ) rows += this.#waiting[take++]!.list.length;
        const subs = this.#waiting.splice(0, take);
        const all = subs.length === 1 ? subs[0]!.list : subs.flatMap((s) => s.list);
        let call: Promise<Status[]>;
        try {
          call = appendCall(this.sql, this.schema, all);
        } catch (e) {
          for (const s of subs) s.reject(e);
          continue;
        }
        for (const s of subs) s.sent?.();
        try {
          const statuses = await call;
          let i = 0;
          for (const s of subs) {
            s.resolve(statuses.slice(i, i + s.list.length));
            i += s.list.length;
          }
        } catch (e) {
          for (const s of subs) s.reject(e);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Drops one user; the last one closes the connection. */
  async release(): Promise<void> {
    if (--this.#refs > 0) return;
    if (shared.get(this.#key) === this) shared.delete(this.#key);
    await this.sql.end({ timeout: 1 });
  }

  /** @internal */
  retain(): this {
    this.#refs++;
    return this;
  }
}

const shared = new Map<string, SharedWriter>();

/** The shared writer for `url`, `options` and `schema` (opened lazily on first use). */
export function acquireWriter(url: string, options: ConnectOptions, schema: string): SharedWriter {
  const key = JSON.stringify([url, options.ssl ?? null, options.ca ?? null, schema]);
  const found = shared.get(key);
  if (found) return found.retain();
  const w = new SharedWriter(key, connectPg(url, { ...options, max: 1 }), schema);
  shared.set(key, w);
  return w;
}
