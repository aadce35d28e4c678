/**
 * Linking and encoding for the PostgreSQL appender, exactly as `SqliteSink` does (hash chain,
 * HMAC, codec envelope with the row's AAD, ctx index entries), and its lookahead: while one call
 * is in flight, the appends queued behind it are prepared on the heads that call will leave, and
 * used only if those are the heads it committed.
 *
 * @module
 */
import { appendError, type PendingAppend, settleWithFirst } from "../group_commit.ts";
import { linkEvent } from "../../core/chain.ts";
import { encodePayload, encodePayloadSync, isSyncCodec, rowAad } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { toZuJson } from "../../core/json.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { ctxIndexEntries } from "../filter.ts";
import type { Prepared } from "./_append_call.ts";

type Pending = PendingAppend;

/** A trace's head: its last position and hash (position 0, hash null: empty). */
export interface Head {
  /** The last position. */
  pos: number;
  /** The hash at it. */
  hash: string | null;
}

/** The head of an empty trace. */
export const EMPTY_HEAD: Head = Object.freeze({ pos: 0, hash: null });

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
  pendings: readonly Pending[];
  state: PrepState;
  result: Promise<Prepared[]>;
}

/** What {@link BatchPreparer} links and encodes with. */
export interface PreparerOptions {
  /** Codec for new rows. */
  codec: PayloadCodec;
  /** HMAC key, or null. */
  signKey: Uint8Array | null;
  /** The registered ctx fields (read at each preparation). */
  ctxFields: ReadonlySet<string>;
  /** The appender's cached heads (read, never written here). */
  heads: ReadonlyMap<string, Head>;
}

/** Prepares the appender's batches (see the module doc). */
export class BatchPreparer {
  #codec: PayloadCodec;
  #signKey: Uint8Array | null;
  #ctxFields: ReadonlySet<string>;
  #heads: ReadonlyMap<string, Head>;
  #ahead: Lookahead | null = null;

  constructor(o: PreparerOptions) {
    this.#codec = o.codec;
    this.#signKey = o.signKey;
    this.#ctxFields = o.ctxFields;
    this.#heads = o.heads;
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
  async prepare(work: readonly Pending[], state: PrepState = newPrepState()): Promise<Prepared[]> {
    const fresh: Pending[] = [];
    const seen = state.seen;
    for (const p of work) {
      const first = seen.get(p.event.event_id);
      if (first === undefined) {
        seen.set(p.event.event_id, p);
        fresh.push(p);
        continue;
      }
      settleWithFirst(first, p);
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
   * While `inFlight` is being written, links and encodes `next` (the appends queued behind it, the
   * start of the next batch; a fresh array) on the heads `inFlight` leaves when it commits, so the
   * next call can go out the moment this one returns: the client's work overlaps the server's
   * instead of adding to it. {@link prepareBatch} uses the result or throws it away.
   */
  startLookahead(next: readonly Pending[], inFlight: Prepared[]): void {
    if (next.length === 0) return;
    const state = { ...newPrepState(), running: runningAfter(inFlight) };
    // Yield to the event loop first: the call just queued is written to the socket then.
    const result = new Promise((r) => setTimeout(r, 0)).then(() => this.prepare(next, state));
    result.catch(() => {});
    this.#ahead = { pendings: next, state, result };
  }

  /**
   * `work` linked and encoded: the lookahead's result when it covers a prefix of `work` and the
   * heads it linked on are the sink's heads now (the batch before it committed as assumed), the
   * rest prepared after it; otherwise prepared afresh.
   */
  async prepareBatch(work: Pending[]): Promise<Prepared[]> {
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
        const rest = await this.prepare(work.slice(ahead.pendings.length), ahead.state);
        return got.concat(rest);
      }
    }
    return await this.prepare(work);
  }

  /** True when every head in `basis` is the sink's cached head of its trace now. */
  #basisHolds(basis: ReadonlyMap<string, Head>): boolean {
    for (const [t, h] of basis) {
      const now = this.#heads.get(t) ?? EMPTY_HEAD;
      if (now.pos !== h.pos || now.hash !== h.hash) return false;
    }
    return true;
  }
}
