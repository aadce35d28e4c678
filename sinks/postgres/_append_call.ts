/**
 * One append call to the server: `zu_append` for one event, `zu_append_batch` for more (see
 * `_schema.ts`), with the rows linked and encoded beforehand.
 *
 * @module
 */
import type { PendingAppend } from "../group_commit.ts";
import type { Event } from "../../core/events.ts";
import type { Sql } from "./pg_connect.ts";

/** One event linked and encoded, ready to send. */
export interface Prepared {
  /** The linked event. */
  event: Event;
  /** Its queued append. */
  pending: PendingAppend;
  /** The encoded body (first byte: the codec version). */
  blob: Uint8Array;
  /** Flat `[field, value, ...]` ctx index entries, or null. */
  index: string[] | null;
  /** The trace position it was linked on (the row goes at `head + 1`). */
  head: number;
}

/** What the server says of one row. */
export interface Status {
  /** `retry`: not stored, head unknown (a concurrent insert of the same id failed the call). */
  r_status: "ok" | "exists" | "moved" | "retry";
  /** The stored row's seq, or null. */
  r_seq: string | null;
  /** The stored row's position (`ok`/`exists`) or the trace's head (`moved`), or null. */
  r_pos: number | null;
  /** The hash at `r_pos`, or null. */
  r_hash: string | null;
}

/** Named prepared statements: one round trip per call after the first (no describe per call). */
const PREPARE = { prepare: true } as const;

/** `n` statuses of `retry`. */
export function retryAll(n: number): Status[] {
  return Array.from({ length: n }, () => ({
    r_status: "retry" as const,
    r_seq: null,
    r_pos: null,
    r_hash: null,
  }));
}

/** True for a unique violation: a concurrent writer stored one of the ids (or positions) first. */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "23505";
}

/** Starts the call appending `list` (non-empty) to schema `s`; one status per event, in order. */
export function appendCall(sql: Sql, s: string, list: Prepared[]): Promise<Status[]> {
  const query = list.length === 1
    ? sql.unsafe(
      `select r_status, r_seq, r_pos, r_hash from ${s}.zu_append(` +
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
      // deno-lint-ignore no-explicit-any
      singleParams(list[0]!) as any[],
      PREPARE,
    )
    : sql.unsafe(
      `select r_status, r_seq, r_pos, r_hash from ${s}.zu_append_batch(` +
        "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[], " +
        "$8::text[], $9::text[], $10::text[], $11::int2[], $12::bytea, $13::int4[], " +
        "$14::text[], $15::text[], $16::text[])",
      // deno-lint-ignore no-explicit-any
      batchParams(list) as any[],
      PREPARE,
    );
  return query.execute() as unknown as Promise<Status[]>;
}

function singleParams(x: Prepared): unknown[] {
  const e = x.event;
  return [
    e.event_id,
    e.trace_id,
    e.task_id,
    e.parent_id ?? null,
    e.type,
    e.source,
    x.head,
    e.prev_hash ?? null,
    e.hash,
    e.sig ?? null,
    x.blob[0]!,
    x.blob,
    x.index,
  ];
}

/** Column arrays; the bodies concatenated into one `bytea` with their lengths beside. */
function batchParams(list: Prepared[]): unknown[] {
  const n = list.length;
  const cols = Array.from({ length: 11 }, () => new Array<unknown>(n));
  const lens = new Array<number>(n);
  let size = 0;
  for (let i = 0; i < n; i++) size += lens[i] = list[i]!.blob.length;
  const data = new Uint8Array(size);
  const ix: [string[], string[], (string | null)[]] = [[], [], []];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const x = list[i]!;
    const row = singleParams(x);
    for (let c = 0; c < 11; c++) cols[c]![i] = row[c];
    data.set(x.blob, at);
    at += x.blob.length;
    const idx = x.index;
    if (idx === null) continue;
    for (let j = 0; j + 1 < idx.length; j += 2) {
      ix[0].push(x.event.event_id);
      ix[1].push(idx[j]!);
      ix[2].push(idx[j + 1] ?? null);
    }
  }
  return [...cols, data, lens, ...ix];
}
