/**
 * The encryption modes an event sink block may name (`event_sink.encryption`), in zu's order:
 * `none`, `aesgcm` (version 1) and `managed` (version 2). A module of its own so the sink
 * registry can check a block without loading any codec.
 *
 * @example
 * ```ts
 * import { CODEC_NAMES } from "./codec_names.ts";
 * console.assert(CODEC_NAMES.includes("managed"));
 * ```
 * @module
 */

/** The names `createCodec` accepts. */
export const CODEC_NAMES: readonly string[] = Object.freeze(["none", "aesgcm", "managed"]);
