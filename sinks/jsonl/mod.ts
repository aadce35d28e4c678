/**
 * The JSON-lines event sink: one event per line, greppable, for log shippers.
 *
 * @example
 * ```ts
 * import { JsonlSink } from "./mod.ts";
 * const sink = new JsonlSink(await Deno.makeTempFile({ suffix: ".jsonl" }));
 * console.assert((await sink.count()) === 0);
 * await sink.close();
 * ```
 * @module
 */
export { JsonlSink } from "./jsonl_sink.ts";
export type { JsonlSinkOptions } from "./jsonl_sink.ts";
