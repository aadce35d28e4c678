/**
 * The read side of the PostgreSQL sink: filters compiled to SQL (the shared filter contract),
 * rows decoded with the shared row decoder, pages by `seq` and by the `(xid, seq)` horizon.
 *
 * @module
 */
import type { Event } from "../../core/events.ts";
import type { EventFilter, PayloadCodec } from "../../core/types.ts";
import { decodeRow, type EventRow } from "../event_row.ts";
import { compileFilter } from "../filter.ts";
import type { Sql } from "./pg_connect.ts";

/** The columns every read selects (codec-0 bodies decoded to text by the server). */
export const PG_ROW_COLUMNS = "seq, event_id, trace_id, task_id, type, source, " +
  "case when get_byte(data, 0) = 0 then convert_from(substring(data from 2), 'UTF8') end as text, " +
  "case when get_byte(data, 0) = 0 then null else data end as data";

/**
 * Where clauses of `filter` over `s.zu_events e`, their params appended to `params`. Throws
 * `TypeError` naming an unknown key.
 */
export function pgWhere(
  s: string,
  filter: EventFilter | undefined,
  ctxFields: ReadonlySet<string>,
  params: unknown[],
): string[] {
  const parts: string[] = [];
  for (const c of compileFilter(filter, ctxFields)) {
    if (c.column) {
      if (c.value === null) parts.push(`${c.field} is null`);
      else {
        params.push(c.value);
        parts.push(`${c.field} = $${params.length}`);
      }
    } else if (c.value === null) {
      params.push(c.field);
      parts.push(
        `not exists (select 1 from ${s}.zu_event_index i where i.event_id = e.event_id and i.field = $${params.length})`,
      );
    } else {
      params.push(c.field, c.value);
      parts.push(
        `exists (select 1 from ${s}.zu_event_index i where i.event_id = e.event_id and i.field = $${
          params.length - 1
        } and i.value = $${params.length})`,
      );
    }
  }
  return parts;
}

/** One raw row as postgres.js returns it. */
export type RawRow = readonly unknown[];

/** Decodes a raw row of {@link PG_ROW_COLUMNS} (plus any trailing columns). */
export function decodePgRow(
  raw: RawRow,
  codecs: ReadonlyMap<number, PayloadCodec>,
): Promise<Event> | Event {
  const row: EventRow = {
    seq: Number(raw[0]),
    event_id: raw[1] as string,
    trace_id: raw[2] as string,
    task_id: raw[3] as string,
    type: raw[4] as string,
    source: raw[5] as string,
    text: raw[6] as string | null,
    data: raw[7] as Uint8Array | null,
  };
  return decodeRow(row, codecs);
}

/** Decodes a page of raw rows in order (awaiting only codecs without synchronous methods). */
export async function decodePage(
  rows: readonly RawRow[],
  codecs: ReadonlyMap<number, PayloadCodec>,
): Promise<Event[]> {
  const out: Event[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const e = decodePgRow(rows[i]!, codecs);
    out[i] = e instanceof Promise ? await e : e;
  }
  return out;
}

/** Runs `query` with `params` as a named prepared statement and returns its rows as arrays. */
export async function rawRows(sql: Sql, query: string, params: unknown[]): Promise<RawRow[]> {
  // deno-lint-ignore no-explicit-any
  return await sql.unsafe(query, params as any[], { prepare: true })
    .values() as unknown as RawRow[];
}
