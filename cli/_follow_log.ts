/**
 * `followLog`: the polling loop of `zu events tail --follow`. Each poll re-reads a window of
 * `lookback` sequence numbers below the newest one printed and prints only events not printed
 * yet, so an event that commits after a later-numbered one (several writers on a server log:
 * a transaction that took its number first and committed last) is still printed, late, instead
 * of being skipped for good by a plain `seq > cursor` reader. The sink's own ordering is the
 * guarantee; the window covers writers that are at most `lookback` numbers behind.
 *
 * @module
 */
import type { EventFilter, EventSink, StoredEvent } from "../core/types.ts";

/** Options of {@link followLog}. */
export interface FollowLogOptions {
  /** The newest seq already printed (0 for none). */
  after: number;
  /** Events already printed (only those inside the window are kept). */
  printed?: Iterable<StoredEvent>;
  /** Milliseconds between polls. */
  intervalMs: number;
  /** Sequence numbers re-read below the newest printed. Default 1000. */
  lookback?: number;
  /** Stops the loop. */
  signal?: AbortSignal;
  /** Stops after this many polls (tests). Default: until `signal`. */
  maxPolls?: number;
}

async function rows(
  sink: EventSink,
  filter: EventFilter,
  afterSeq: number,
  limit: number,
): Promise<StoredEvent[]> {
  if (sink.queryWithSeq) return await sink.queryWithSeq(filter, { afterSeq, limit });
  const events = await sink.query(filter, { afterSeq, limit });
  return events.map((event, i) => ({ seq: afterSeq + i + 1, event }));
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** Polls `sink` and calls `print` with each batch of events not printed yet, in seq order. */
export async function followLog(
  sink: EventSink,
  filter: EventFilter,
  print: (rows: StoredEvent[]) => void,
  options: FollowLogOptions,
): Promise<void> {
  const lookback = options.lookback ?? 1000;
  let after = options.after;
  // Ids printed at seq > after - lookback; older ones can no longer be re-read.
  const printed = new Map<string, number>();
  for (const r of options.printed ?? []) {
    if (r.seq > after - lookback) printed.set(r.event.event_id, r.seq);
  }
  for (let polls = 0; !options.signal?.aborted; polls++) {
    if (options.maxPolls !== undefined && polls >= options.maxPolls) break;
    await wait(options.intervalMs, options.signal);
    if (options.signal?.aborted) break;
    const from = Math.max(0, after - lookback);
    const fresh = (await rows(sink, filter, from, lookback + 1000)).filter((r) =>
      !printed.has(r.event.event_id)
    );
    if (fresh.length === 0) continue;
    print(fresh);
    for (const r of fresh) {
      printed.set(r.event.event_id, r.seq);
      if (r.seq > after) after = r.seq;
    }
    for (const [id, seq] of printed) if (seq <= after - lookback) printed.delete(id);
  }
}
