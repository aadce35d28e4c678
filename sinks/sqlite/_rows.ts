/**
 * Reading rows of the `events` table back into events, each with the codec its blob names.
 *
 * @module
 */
import { decodePayload, decodePayloadSync, rowAad } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { parseEventJson } from "../../core/json.ts";
import type { PayloadCodec } from "../../core/types.ts";

/** The columns every read selects. */
export const ROW_COLUMNS = "seq, event_id, trace_id, task_id, type, source, data";

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
  /** The blob (or text, in very old logs). */
  data: Uint8Array | string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

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

/** Decodes and parses a row; rows of synchronous codecs (all of zu's) take no promise. */
export function decodeRow(
  row: EventRow,
  codecs: ReadonlyMap<number, PayloadCodec>,
): Promise<Event> | Event {
  const data = row.data;
  if (typeof data === "string") return parse(row, data);
  if (data.length > 0 && data[0] === 0 && codecs.has(0)) {
    let text: string;
    try {
      text = utf8.decode(data.subarray(1));
    } catch (e) {
      throw new SyntaxError(
        `Cannot read event "${row.event_id}" (seq ${row.seq}): its body is not UTF-8`,
        { cause: e },
      );
    }
    return parse(row, text);
  }
  const aad = rowAad(row);
  const text = decodePayloadSync(data, aad, codecs, { eventId: row.event_id });
  if (text !== null) return parse(row, text);
  return decodePayload(data, aad, codecs, { eventId: row.event_id }).then((t) => parse(row, t));
}
