/**
 * `copyLog`: moves every event of one open log into another through the `EventSink` port, in
 * the source's order (the target's seq order is the source's), event ids, hashes and signatures unchanged (a sink keeps the hash of an
 * event that already has one), then verifies every trace's chain in the target. Re-running it is
 * a no-op: appends are idempotent by event id. (Lane pgsink16's `sinks/copy_events.ts` is the
 * library's copy; the integrator may switch this over to it.)
 *
 * @module
 */
import { verifyChain } from "../core/chain.ts";
import type { Event } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";

/** What {@link copyLog} did. */
export interface CopyLogResult {
  /** Events read from the source. */
  read: number;
  /** Events the target did not hold before. */
  copied: number;
  /** Events the target already held (same id). */
  present: number;
  /** Traces in the target after the copy. */
  traces: number;
  /** Traces whose chain does not verify in the target, with the first violation of each. */
  broken: { trace: string; violation: string }[];
}

/** Options of {@link copyLog}. */
export interface CopyLogOptions {
  /** Called about every `every` events with the number copied so far. */
  onProgress?: (read: number) => void;
  /** Progress interval. Default 1000. */
  every?: number;
  /** Stops between events. */
  signal?: AbortSignal;
  /**
   * The target commits appends issued together in call order (SqliteSink, JsonlSink and
   * MemorySink queue them and share one transaction): each page of events is appended at once.
   * Otherwise one append at a time, each once the previous one is acknowledged. Either way the
   * target holds the events in the source's order. Default false.
   */
  batchInOrder?: boolean;
  /** Events per page. Default 1000. */
  page?: number;
}

/** Copies `from` into `to` (see the module doc and {@link CopyLogOptions}); neither is closed. */
export async function copyLog(
  from: EventSink,
  to: EventSink,
  options: CopyLogOptions = {},
): Promise<CopyLogResult> {
  const before = await to.count();
  const every = options.every ?? 1000;
  const pageSize = Math.max(1, options.page ?? 1000);
  let read = 0;
  let next = every;
  let page: Event[] = [];
  const flush = async () => {
    if (options.batchInOrder) await Promise.all(page.map((e) => to.append(e)));
    else for (const e of page) await to.append(e);
    read += page.length;
    page = [];
    if (read >= next) {
      options.onProgress?.(read);
      next = read - (read % every) + every;
    }
  };
  for await (const event of from.stream()) {
    options.signal?.throwIfAborted();
    page.push(event);
    if (page.length >= pageSize) await flush();
  }
  if (page.length) await flush();
  const after = await to.count();
  const byTrace = new Map<string, Event[]>();
  for await (const e of to.stream()) {
    let list = byTrace.get(e.trace_id);
    if (!list) byTrace.set(e.trace_id, list = []);
    list.push(e);
  }
  const broken: CopyLogResult["broken"] = [];
  for (const [trace, events] of byTrace) {
    const [violation] = verifyChain(events);
    if (violation !== undefined) broken.push({ trace, violation });
  }
  return {
    read,
    copied: after - before,
    present: read - (after - before),
    traces: byTrace.size,
    broken,
  };
}
