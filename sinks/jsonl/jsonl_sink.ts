/**
 * `JsonlSink`: one event per line in zu's `model_dump_json()` form, append-only, a greppable
 * trace for log shippers.
 *
 * Unlike zu, `seq` is the line ordinal (line N has seq N, as in SQLite), so `afterSeq` means the
 * same on every sink. A torn last line (a crash mid-write) is skipped with a warning instead of
 * failing the whole file; the next append starts on a fresh line. Appends are idempotent on
 * `event_id` and link unlinked events into their trace's chain, like the other sinks; this
 * assumes one writing process per file.
 *
 * @example
 * ```ts
 * import { JsonlSink } from "./jsonl_sink.ts";
 * import { newEvent } from "../../core/events.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await using sink = new JsonlSink(path);
 * await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * console.assert((await Deno.readTextFile(path)).endsWith("\n"));
 * ```
 * @module
 */
import { linkEvent } from "../../core/chain.ts";
import type { Event } from "../../core/events.ts";
import { parseEventJson, toZuJson } from "../../core/json.ts";
import type {
  EventFilter,
  EventSink,
  QueryOptions,
  StoredEvent,
  StreamOptions,
} from "../../core/types.ts";
import {
  checkFilterFieldName,
  checkNonNegativeInt,
  compileFilter,
  type FilterClause,
  matchesClauses,
} from "../event_filter.ts";

/** Options of {@link JsonlSink}. */
export interface JsonlSinkOptions {
  /** Called with a message for each skipped line (torn or malformed). Default: ignore. */
  onWarning?: (message: string) => void;
  /** HMAC key: linked events get `sig`. Default none. */
  signKey?: Uint8Array;
  /** ctx fields filters may use. Default none. */
  filterFields?: Iterable<string>;
  /** fsync after each group of appends. Default true. */
  durable?: boolean;
}

interface Pending {
  event: Event;
  resolve: (e: Event) => void;
  reject: (e: unknown) => void;
}

const encoder = new TextEncoder();

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

/** Appends events as JSON lines. */
export class JsonlSink implements EventSink {
  /** The file path. */
  readonly path: string;
  #warn: (m: string) => void;
  #signKey: Uint8Array | null;
  #ctxFields = new Set<string>();
  #durable: boolean;
  #file: Deno.FsFile | null = null;
  #ids: Map<string, Event> | null = null;
  #heads = new Map<string, string | null>();
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;

  /** Uses `path` (created with its parent directories on the first append). */
  constructor(path = "./zu-trace.jsonl", options: JsonlSinkOptions = {}) {
    this.path = path;
    this.#warn = options.onWarning ?? (() => {});
    this.#signKey = options.signKey ?? null;
    this.#durable = options.durable ?? true;
    for (const f of options.filterFields ?? []) this.registerFilterField(f);
  }

  /** Lets filters use `payload.ctx[field]`. */
  registerFilterField(field: string): void {
    checkFilterFieldName(field);
    this.#ctxFields.add(field);
  }

  /** Every line of the file with its 1-based ordinal; unreadable lines are skipped with a warning. */
  async *#read(signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    const decoder = new TextDecoder();
    let rest = "";
    let seq = 0;
    const buf = new Uint8Array(1 << 16);
    try {
      while (true) {
        signal?.throwIfAborted();
        const n = await file.read(buf);
        if (n === null) break;
        rest += decoder.decode(buf.subarray(0, n), { stream: true });
        let at: number;
        while ((at = rest.indexOf("\n")) >= 0) {
          const line = rest.slice(0, at);
          rest = rest.slice(at + 1);
          seq++;
          const ev = this.#parse(line, seq, false);
          if (ev !== null) yield { seq, event: ev };
        }
      }
      rest += decoder.decode();
      if (rest !== "") {
        seq++;
        const ev = this.#parse(rest, seq, true);
        if (ev !== null) yield { seq, event: ev };
      }
    } finally {
      file.close();
    }
  }

  #parse(line: string, seq: number, last: boolean): Event | null {
    if (line.trim() === "") return null;
    try {
      return parseEventJson(line);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.#warn(
        last
          ? `Skipping line ${seq} of "${this.path}": the last line is torn (incomplete write): ${why}`
          : `Skipping line ${seq} of "${this.path}": it is not an event: ${why}`,
      );
      return null;
    }
  }

  async #open(): Promise<void> {
    if (this.#file !== null) return;
    await Deno.mkdir(dirname(this.path), { recursive: true });
    const ids = new Map<string, Event>();
    for await (const { event } of this.#read()) {
      if (!ids.has(event.event_id)) ids.set(event.event_id, event);
      this.#heads.set(event.trace_id, event.hash);
    }
    const file = await Deno.open(this.path, { append: true, create: true });
    // Start on a fresh line after a torn tail, so the torn line stays one (skipped) line.
    const size = (await file.stat()).size;
    if (size > 0) {
      const last = new Uint8Array(1);
      const reader = await Deno.open(this.path, { read: true });
      try {
        await reader.seek(size - 1, Deno.SeekMode.Start);
        await reader.read(last);
      } finally {
        reader.close();
      }
      if (last[0] !== 10) await file.write(encoder.encode("\n"));
    }
    this.#ids = ids;
    this.#file = file;
  }

  /** Links (unless already linked) and appends `event`; a repeated `event_id` returns the stored copy. */
  append(event: Event): Promise<Event> {
    if (this.#closed) {
      return Promise.reject(
        new TypeError(`Cannot append event "${event?.event_id}": the sink is closed`),
      );
    }
    try {
      toZuJson(event);
    } catch (e) {
      return Promise.reject(
        new TypeError(
          `Cannot append event "${event?.event_id}": it is not JSON-serialisable (${
            e instanceof Error ? e.message : e
          })`,
          { cause: e },
        ),
      );
    }
    return new Promise<Event>((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      if (this.#flushing === null) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      await Promise.resolve();
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, 1000);
        try {
          await this.#writeBatch(batch);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    await this.#open();
    const ids = this.#ids!;
    const done: [Pending, Event][] = [];
    const repeats: [Pending, Event][] = [];
    const fresh = new Map<string, Event>();
    const heads = new Map(this.#heads);
    let text = "";
    for (const p of batch) {
      const id = p.event.event_id;
      const stored = ids.get(id) ?? fresh.get(id);
      if (stored !== undefined) {
        repeats.push([p, stored]);
        continue;
      }
      try {
        const ev = p.event.hash === null || p.event.hash === undefined
          ? linkEvent(p.event, heads.get(p.event.trace_id) ?? null, this.#signKey)
          : (Object.isFrozen(p.event) ? p.event : Object.freeze({ ...p.event }));
        text += toZuJson(ev) + "\n";
        heads.set(ev.trace_id, ev.hash);
        fresh.set(id, ev);
        done.push([p, ev]);
      } catch (e) {
        p.reject(
          new TypeError(`Cannot append event "${id}": ${e instanceof Error ? e.message : e}`, {
            cause: e,
          }),
        );
      }
    }
    if (text !== "") {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += await this.#file!.write(bytes.subarray(off));
      if (this.#durable) await this.#file!.syncData();
      for (const [, ev] of done) ids.set(ev.event_id, ev);
      this.#heads = heads;
    }
    for (const [p, ev] of done) p.resolve(ev);
    for (const [p, ev] of repeats) p.resolve(ev);
  }

  async *#matching(
    clauses: readonly FilterClause[],
    after: number,
    signal?: AbortSignal,
  ): AsyncGenerator<StoredEvent> {
    for await (const s of this.#read(signal)) {
      if (s.seq > after && matchesClauses(s.event, clauses)) yield s;
    }
  }

  /** Events matching `filter` with their line ordinal, in file order. */
  async queryWithSeq(filter?: EventFilter, options: QueryOptions = {}): Promise<StoredEvent[]> {
    const clauses = compileFilter(filter, this.#ctxFields);
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    const limit = checkNonNegativeInt("limit", options.limit, Infinity);
    await this.#flushing;
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    for await (const s of this.#matching(clauses, after)) {
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Events matching `filter`, in file order. */
  async query(filter?: EventFilter, options: QueryOptions = {}): Promise<Event[]> {
    return (await this.queryWithSeq(filter, options)).map((s) => s.event);
  }

  /** Events matching `filter`, read in chunks. */
  async *stream(filter?: EventFilter, options: StreamOptions = {}): AsyncGenerator<Event> {
    const clauses = compileFilter(filter, this.#ctxFields);
    checkNonNegativeInt("batchSize", options.batchSize, 500);
    const after = checkNonNegativeInt("afterSeq", options.afterSeq, 0);
    await this.#flushing;
    for await (const s of this.#matching(clauses, after, options.signal)) yield s.event;
  }

  /** Number of events matching `filter`. */
  async count(filter?: EventFilter): Promise<number> {
    const clauses = compileFilter(filter, this.#ctxFields);
    await this.#flushing;
    let n = 0;
    for await (const _ of this.#matching(clauses, 0)) n++;
    return n;
  }

  /** Waits for pending appends and closes the file. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== null) await this.#flushing;
    if (this.#file !== null) {
      this.#file.close();
      this.#file = null;
    }
  }

  /** Same as {@link JsonlSink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
