/**
 * The in-memory event sink.
 *
 * @example
 * ```ts
 * import { MemorySink } from "./mod.ts";
 * await using sink = new MemorySink();
 * console.assert((await sink.count()) === 0);
 * ```
 * @module
 */
export { MemorySink } from "./memory_sink.ts";
export type { MemorySinkOptions } from "./memory_sink.ts";
