/**
 * zu's per-trace hash chain (ZU-AUDIT-1): link events, verify a chain, verify against an external
 * anchor. Violation strings are zu's, character for character.
 *
 * `hash` = SHA-256 hex of {@link canonicalJson} of the event without `hash`, `prev_hash` and
 * `sig`, plus `prev_hash` = the previous hash of the trace. `sig` = HMAC-SHA256(key, hash hex).
 *
 * @example
 * ```ts
 * import { linkEvent, verifyChain } from "./chain.ts";
 * import { newEvent } from "./events.ts";
 * const a = linkEvent(newEvent({ task_id: "t", type: "harness.task.started" }), null);
 * const b = linkEvent(newEvent({ task_id: "t", type: "harness.turn.started" }), a.hash);
 * console.assert(verifyChain([a, b]).length === 0);
 * ```
 * @module
 */
import { createHash, createHmac } from "node:crypto";
import { canonicalJson, pythonJsonString } from "./canonical_json.ts";
import type { Event } from "./events.ts";
import { pyRepr, pyStr } from "./python/repr.ts";

/** The body zu hashes: the event minus `hash`/`prev_hash`/`sig`, plus the given `prev_hash`. */
export function digestBody(event: Event, prevHash: string | null): Record<string, unknown> {
  return {
    event_id: event.event_id,
    trace_id: event.trace_id,
    task_id: event.task_id,
    parent_id: event.parent_id ?? null,
    type: event.type,
    ts: event.ts,
    source: event.source,
    payload: event.payload,
    schema_version: event.schema_version,
    prev_hash: prevHash,
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? pythonJsonString(v) : canonicalJson(v ?? null);
}

/**
 * The exact text {@link eventDigest} hashes: {@link canonicalJson} of {@link digestBody}, written
 * field by field in sorted key order (the same bytes, without building and sorting the body).
 */
export function canonicalEventText(event: Event, prevHash: string | null): string {
  return '{"event_id":' + str(event.event_id) +
    ',"parent_id":' + str(event.parent_id) +
    ',"payload":' + canonicalJson(event.payload) +
    ',"prev_hash":' + str(prevHash) +
    ',"schema_version":' + canonicalJson(event.schema_version) +
    ',"source":' + str(event.source) +
    ',"task_id":' + str(event.task_id) +
    ',"trace_id":' + str(event.trace_id) +
    ',"ts":' + str(event.ts) +
    ',"type":' + str(event.type) + "}";
}

/**
 * SHA-256 hex of the event's canonical content bound to `prevHash`. Throws `TypeError` naming the
 * event when its payload is not JSON.
 */
export function eventDigest(event: Event, prevHash: string | null): string {
  let text: string;
  try {
    text = canonicalEventText(event, prevHash);
  } catch (e) {
    throw new TypeError(
      `Cannot hash event "${event.event_id}": ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** HMAC-SHA256 of the digest hex with `key`, lowercase hex. */
export function signDigest(digest: string, key: Uint8Array): string {
  return createHmac("sha256", key).update(digest, "utf8").digest("hex");
}

/**
 * A frozen copy of `event` linked after `prevHash`: `prev_hash`, `hash`, and `sig` (HMAC when a
 * key is given, else `null`).
 */
export function linkEvent(event: Event, prevHash: string | null, key?: Uint8Array | null): Event {
  const digest = eventDigest(event, prevHash);
  const sig = key ? signDigest(digest, key) : null;
  return Object.freeze({ ...event, prev_hash: prevHash, hash: digest, sig });
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** The expected `prev_hash` of the first event (a known predecessor when verifying a tail). Default `null`. */
  head?: string | null;
  /** The HMAC key; when given, every `sig` is checked. Default none. */
  key?: Uint8Array | null;
}

/**
 * Verifies linked events of one trace in append order. Returns zu's violation strings; an empty
 * list means intact. Per event the order is: prev_hash break, content tamper, signature mismatch.
 *
 * @example
 * ```ts
 * import { linkEvent, verifyChain } from "./chain.ts";
 * import { newEvent } from "./events.ts";
 * const a = linkEvent(newEvent({ task_id: "t", type: "harness.task.started" }), null);
 * console.assert(verifyChain([a], { head: "x" })[0]?.includes("prev_hash break") === true);
 * ```
 */
export function verifyChain(events: Iterable<Event>, options: VerifyChainOptions = {}): string[] {
  const violations: string[] = [];
  const key = options.key ?? null;
  let prev: string | null = options.head ?? null;
  for (const event of events) {
    if (event.hash === null || event.hash === undefined) {
      violations.push(`${event.event_id}: event is not linked (no hash)`);
      prev = null;
      continue;
    }
    const found = event.prev_hash ?? null;
    if (found !== prev) {
      violations.push(
        `${event.event_id}: prev_hash break (expected ${pyRepr(prev)}, found ${
          pyRepr(found)
        }) — reorder/insert/delete`,
      );
    }
    if (event.hash !== eventDigest(event, found)) {
      violations.push(`${event.event_id}: content tamper (hash mismatch)`);
    }
    if (key !== null && event.sig !== signDigest(event.hash, key)) {
      violations.push(
        `${event.event_id}: signature mismatch — content edited and re-linked without the key, or unsigned`,
      );
    }
    prev = event.hash;
  }
  return violations;
}

/** The `hash` of the last event (of `traceId`, when given), or `null` when there is none. */
export function chainHead(events: readonly Event[], traceId?: string | null): string | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (traceId === undefined || traceId === null || e.trace_id === traceId) return e.hash ?? null;
  }
  return null;
}

/** One external anchor record: the head observed after the first `seq` events of a trace. */
export interface AnchorRecord {
  /** The trace. */
  trace_id: unknown;
  /** How many events of the trace the head covers (1-based). */
  seq: unknown;
  /** The anchored head hash. */
  head: unknown;
}

/**
 * Re-derives each anchored head from content (ignoring stored hashes) and reports every
 * divergence with zu's strings; a clean re-link of an edited trace is caught here.
 */
export function verifyAgainstAnchor(
  events: readonly Event[],
  records: Iterable<AnchorRecord>,
): string[] {
  const violations: string[] = [];
  for (const rec of records) {
    const tid = rec.trace_id;
    const seq = rec.seq;
    const tidText = pyStr(tid);
    const traceEvents = events.filter((e) => e.trace_id === tidText);
    const isInt = (typeof seq === "number" && Number.isInteger(seq)) || typeof seq === "bigint" ||
      typeof seq === "boolean";
    const n = isInt ? Number(seq) : NaN;
    if (!isInt || n < 1 || n > traceEvents.length) {
      violations.push(`anchor for trace ${tidText}: seq ${pyRepr(seq)} out of range`);
      continue;
    }
    let prev: string | null = null;
    for (const event of traceEvents.slice(0, n)) prev = eventDigest(event, prev);
    if (prev !== rec.head) {
      violations.push(
        `anchor for trace ${tidText} seq ${pyStr(seq)}: re-derived head ${
          pyRepr(prev)
        } != anchored ${pyRepr(rec.head)} — full rewrite / divergence`,
      );
    }
  }
  return violations;
}
