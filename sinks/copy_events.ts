/**
 * `copyEvents`: moves an event log from one sink to another (SQLite to PostgreSQL and back)
 * with event ids, trace order, hashes and signatures unchanged. Events are read in the source's
 * seq order and appended as they are (already linked events are stored verbatim by every
 * canonical sink), a page at a time so the target can group-commit. Appends are idempotent, so
 * an interrupted copy is finished by running it again.
 *
 * @example
 * ```ts
 * import { copyEvents } from "./copy_events.ts";
 * import { MemorySink } from "./memory/mod.ts";
 * import { newEvent } from "../core/events.ts";
 * await using from = new MemorySink();
 * await using to = new MemorySink();
 * await from.append(newEvent({ task_id: "t", type: "harness.task.started" }));
 * const report = await copyEvents(from, to, { verify: true });
 * console.assert(report.copied === 1 && report.violations.length === 0);
 * ```
 * @module
 */
import { verifyChain } from "../core/chain.ts";
import type { Event } from "../core/events.ts";
import type { EventFilter, EventSink } from "../core/types.ts";

/** Options of {@link copyEvents}. */
export interface CopyEventsOptions {
  /** Copy only the events matching this filter (whole traces keep their chains). Default all. */
  filter?: EventFilter;
  /** Events read and appended per page. Default 500. */
  batchSize?: number;
  /** Stops the copy between pages (what was appended stays; run again to finish). */
  signal?: AbortSignal;
  /** After copying, verify the chain of every copied trace in the target. Default false. */
  verify?: boolean;
  /** HMAC key to check signatures with when verifying. Default none. */
  signKey?: Uint8Array;
  /** Called after each page with the number of events read so far. */
  onProgress?: (read: number) => void;
}

/** What {@link copyEvents} did. */
export interface CopyEventsReport {
  /** Events read from the source. */
  read: number;
  /** Events the target did not hold before (the others were already there). */
  copied: number;
  /** Traces the copied events belong to. */
  traces: number;
  /** Chain violations found in the target (only with `verify`), zu's strings. */
  violations: string[];
  /** The copied traces whose chain does not verify in the target, each with its first violation. */
  broken: { trace: string; violation: string }[];
}

/**
 * Copies the events of `from` (matching `options.filter`) into `to`, in seq order, keeping each
 * event's id, hash and sig. Throws `Error` naming the event when `to` already holds a different
 * event under the same id.
 */
export async function copyEvents(
  from: EventSink,
  to: EventSink,
  options: CopyEventsOptions = {},
): Promise<CopyEventsReport> {
  const batchSize = options.batchSize ?? 500;
  const before = await to.count();
  const traces = new Set<string>();
  let read = 0;
  let page: Event[] = [];
  const flush = async () => {
    const stored = await Promise.all(page.map((e) => to.append(e)));
    for (let i = 0; i < page.length; i++) {
      const src = page[i]!;
      if (src.hash !== null && src.hash !== undefined && stored[i]!.hash !== src.hash) {
        throw new Error(
          `Cannot copy event "${src.event_id}": the target holds a different event with this id (hash ${
            stored[i]!.hash
          }, source ${src.hash})`,
        );
      }
    }
    read += page.length;
    page = [];
    options.onProgress?.(read);
  };
  const streamOptions = { batchSize, ...(options.signal ? { signal: options.signal } : {}) };
  for await (const e of from.stream(options.filter, streamOptions)) {
    traces.add(e.trace_id);
    page.push(e);
    if (page.length >= batchSize) await flush();
  }
  if (page.length > 0) await flush();
  const violations: string[] = [];
  const broken: { trace: string; violation: string }[] = [];
  if (options.verify) {
    for (const t of traces) {
      const found = verifyChain(await to.query({ trace_id: t }), { key: options.signKey ?? null });
      violations.push(...found);
      if (found.length > 0) broken.push({ trace: t, violation: found[0]! });
    }
  }
  return { read, copied: (await to.count()) - before, traces: traces.size, violations, broken };
}
