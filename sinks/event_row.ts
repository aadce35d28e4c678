/**
 * Reading a stored event row back into an event, each with the codec its blob names: the one
 * decoder every database sink shares (SQLite, PostgreSQL), so a tampered or undecodable row
 * fails with the same text whichever database holds it.
 *
 * @example
 * ```ts
 * import { decodeRow } from "./event_row.ts";
 * import { newEvent } from "../core/events.ts";
 * import { toZuJson } from "../core/json.ts";
 * const e = newEvent({ task_id: "t", type: "harness.task.started" });
 * const row = { ...e, seq: 1, text: toZuJson(e), data: null };
 * console.assert((decodeRow(row, new Map()) as typeof e).event_id === e.event_id);
 * ```
 * @module
 */
import { decodePayload, decodePayloadSync, rowAad } from "../core/codec.ts";
import type { Event } from "../core/events.ts";
import { parseEventJson } from "../core/json.ts";
import type { PayloadCodec } from "../core/types.ts";

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
