/**
 * Reading rows of the `events` table back into events, each with the codec its blob names.
 *
 * @module
 */
import { decodePayload, decodePayloadSync, rowAad } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { parseEventJson } from "../../core/json.ts";
import type { PayloadCodec } from "../../core/types.ts";

/**
 * The columns every read selects. Codec-0 bodies come back as text straight from SQLite (a
 * cheaper UTF-8 decode than a `TextDecoder` call per row); other blobs come back whole.
 */
export const ROW_COLUMNS = "seq, event_id, trace_id, task_id, type, source, " +
  "CASE WHEN substr(data, 1, 1) = x'00' THEN CAST(substr(data, 2) AS TEXT) END AS text, " +
  "CASE WHEN substr(data, 1, 1) = x'00' THEN NULL ELSE data END AS data";

/**
 * The lean columns of a page read (`query`, `stream`), returned as arrays: `[seq, text]` where
 * `text` is the body of a codec-0 row and null for any other row (which is then read in full by
 * seq with {@link ROW_COLUMNS}). Fewer and cheaper columns than {@link ROW_COLUMNS}: SQLite and
 * the binding spend about half as long per row, which is most of a stream's cost besides
 * `JSON.parse`.
 */
export const LEAN_COLUMNS = "seq, " +
  // (Measured: `data >= x'00' AND data < x'01'` as the test is a third slower per row.)
  "CASE WHEN substr(data, 1, 1) = x'00' THEN CAST(substr(data, 2) AS TEXT) END AS text";

/** One selected row. */
export interface EventRow {
  /** Row seq. */
  seq: number;
  /** Column. */
  event_id: string;
  /** Column. */
  trace_id: string;
  /** Column. */
  task_id: string;
  /** Column. */
  type: string;
  /** Column. */
  source: string;
  /** The body of a codec-0 row as text, else null. */
  text: string | null;
  /** The blob of any other row (or text, in very old logs), else null. */
  data: Uint8Array | string | null;
}

function parse(row: EventRow, text: string): Event {
  try {
    return parseEventJson(text);
  } catch (e) {
    throw new SyntaxError(
      `Cannot read event "${row.event_id}" (seq ${row.seq}): its stored JSON is malformed (${
        e instanceof Error ? e.message : e
      })`,
      { cause: e },
    );
  }
}

/**
 * Parses the codec-0 body `text` of the row at `seq`. On malformed text, `fullRow` reads the row
 * in full so the error names its event.
 */
export function parseLean(
  seq: number,
  text: string,
  fullRow: (seq: number) => EventRow | undefined,
): Event {
  try {
    return parseEventJson(text);
  } catch {
    const row = fullRow(seq) ?? {
      seq,
      event_id: "(unknown)",
      trace_id: "",
      task_id: "",
      type: "",
      source: "",
      text,
      data: null,
    };
    return parse(row, row.text ?? text);
  }
}

/** Decodes and parses a row; rows of synchronous codecs (all of zu's) take no promise. */
export function decodeRow(
  row: EventRow,
  codecs: ReadonlyMap<number, PayloadCodec>,
): Promise<Event> | Event {
  if (row.text !== null && row.text !== undefined) return parse(row, row.text);
  const data = row.data;
  if (data === null || data === undefined) {
    throw new SyntaxError(
      `Cannot read event "${row.event_id}" (seq ${row.seq}): its data is empty`,
    );
  }
  if (typeof data === "string") return parse(row, data);
  const aad = rowAad(row);
  const text = decodePayloadSync(data, aad, codecs, { eventId: row.event_id });
  if (text !== null) return parse(row, text);
  return decodePayload(data, aad, codecs, { eventId: row.event_id }).then((t) => parse(row, t));
}
