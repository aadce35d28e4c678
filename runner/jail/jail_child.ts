/**
 * Helpers for the jailed child process: an {@link EventSink} that streams every event to the
 * host as a protocol line, and global handlers that turn a stray permission refusal (node:dgram
 * throws one uncaught) into a `harness.defense.blocked` event instead of a crash.
 *
 * @module
 */
import { DEFENSE_BLOCKED, type Event, newEvent } from "../../core/events.ts";
import type { EventFilter, EventSink, QueryOptions, StreamOptions } from "../../core/types.ts";
import { writeJailLine } from "./protocol.ts";
import { denialDetail, isPermissionDenial, RUNTIME_PERMISSION } from "./jail_tool.ts";
/** Reads an env variable, treating a denial as unset (the child may read only named keys). */
export { safeEnv } from "../../core/env.ts";

function matches(e: Event, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  for (const [k, v] of Object.entries(filter)) {
    if ((e as unknown as Record<string, unknown>)[k] !== v) return false;
  }
  return true;
}

/**
 * A sink that writes each appended event to stdout as a protocol line (the host links it into
 * its chain) and keeps a copy for the loop's own queries.
 */
export class LineSink implements EventSink {
  #events: Event[] = [];
  #ids = new Set<string>();
  #write: (e: Event) => void;

  /** Creates the sink; `write` defaults to a protocol line on stdout. */
  constructor(write?: (e: Event) => void) {
    this.#write = write ?? ((event) => writeJailLine({ zu_jail: "event", event }));
  }

  /** Streams the event to the host. Idempotent on `event_id`. */
  append(event: Event): Promise<Event> {
    if (!this.#ids.has(event.event_id)) {
      this.#ids.add(event.event_id);
      this.#events.push(event);
      this.#write(event);
    }
    return Promise.resolve(event);
  }

  /** Events appended so far, filtered. */
  query(filter?: EventFilter, options: QueryOptions = {}): Promise<Event[]> {
    const after = options.afterSeq ?? 0;
    const out = this.#events.filter((e, i) => i + 1 > after && matches(e, filter));
    return Promise.resolve(options.limit !== undefined ? out.slice(0, options.limit) : out);
  }

  /** Same as {@link query}, as a stream. */
  async *stream(filter?: EventFilter, options: StreamOptions = {}): AsyncIterable<Event> {
    const q: QueryOptions = {};
    if (options.afterSeq !== undefined) q.afterSeq = options.afterSeq;
    for (const e of await this.query(filter, q)) yield e;
  }

  /** Number of matching events. */
  count(filter?: EventFilter): Promise<number> {
    return Promise.resolve(this.#events.filter((e) => matches(e, filter)).length);
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The run the global handlers attribute a stray refusal to. */
export interface DenialContext {
  /** Task id. */
  task_id: string;
  /** Trace id. */
  trace_id: string;
}

/**
 * Installs `unhandledrejection` and `error` handlers that swallow permission refusals and emit a
 * `harness.defense.blocked` event (kind `runtime_permission`, source `jail`) for each; other
 * errors keep their default (fatal) behaviour. Returns a function that removes the handlers.
 */
export function installDenialHandlers(
  context: DenialContext | (() => DenialContext | null),
  emit: (e: Event) => void = (event) => writeJailLine({ zu_jail: "event", event }),
): () => void {
  const ctx = typeof context === "function" ? context : () => context;
  const handle = (err: unknown): boolean => {
    if (!isPermissionDenial(err)) return false;
    const c = ctx();
    if (c) {
      const d = denialDetail(err);
      emit(newEvent({
        task_id: c.task_id,
        trace_id: c.trace_id,
        type: DEFENSE_BLOCKED,
        source: "jail",
        payload: { kind: RUNTIME_PERMISSION, tool: null, target: d.target, detail: d.detail },
      }));
    }
    return true;
  };
  const onRejection = (e: PromiseRejectionEvent): void => {
    if (handle(e.reason)) e.preventDefault();
  };
  const onError = (e: ErrorEvent): void => {
    if (handle(e.error)) e.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}
