/**
 * zu's core: the event envelope, contracts, ports, bus, registry, errors, canonical JSON, the
 * hash chain and the codec seam. Imports no adapter.
 *
 * @example
 * ```ts
 * import { newEvent, TASK_STARTED, linkEvent, verifyChain } from "./mod.ts";
 * const e = linkEvent(newEvent({ task_id: crypto.randomUUID(), type: TASK_STARTED }), null);
 * console.assert(verifyChain([e]).length === 0);
 * ```
 * @module
 */
export * from "./events.ts";
export * from "./contracts.ts";
export type * from "./types.ts";
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./bus.ts";
export * from "./json.ts";
export * from "./canonical_json.ts";
export * from "./chain.ts";
export * from "./python/mod.ts";
export { jsonClone } from "./json_clone.ts";
export * from "./codec.ts";
export {
  blockedReason,
  checkHost,
  cidrContains,
  hostAllowed,
  normalizeHost,
  parseIpLiteral,
  systemResolver,
} from "./net_guard.ts";
export type { GuardOptions, Resolver } from "./net_guard.ts";
