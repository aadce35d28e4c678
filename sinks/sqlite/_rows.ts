/**
 * The SQL of reading rows of the `events` table; decoding them (each with the codec its blob
 * names) is the shared `../event_row.ts`, re-exported here for the sink.
 *
 * @module
 */
export { decodeRow, type EventRow, parseLean } from "../event_row.ts";

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
