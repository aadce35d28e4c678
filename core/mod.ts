/**
 * zu's core: the event envelope, contracts, ports, bus, registry and errors. Imports no adapter.
 *
 * @example
 * ```ts
 * import { newEvent, TASK_STARTED } from "./mod.ts";
 * const e = newEvent({ task_id: crypto.randomUUID(), type: TASK_STARTED, payload: {} });
 * console.assert(e.schema_version === 1);
 * ```
 * @module
 */
export * from "./events.ts";
export * from "./contracts.ts";
export type * from "./types.ts";
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./bus.ts";
