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
export { dockerUnavailable, missingProgram } from "./environment_errors.ts";
export * from "./registry.ts";
export * from "./bus.ts";
export * from "./json.ts";
export * from "./canonical_json.ts";
export * from "./chain.ts";
export { pyRepr, pyStr, pyStrRepr } from "./python/repr.ts";
export * from "./codec.ts";
export {
  canonicalAddress,
  isCanonicalLiteral,
  normalizeHost,
  parseIpLiteral,
} from "./host_normalize.ts";
export { splitHostPort, type SplitHostPortOptions } from "./host_port.ts";
export {
  DEFAULT_PORTS,
  type HostPattern,
  netFlagEntries,
  netFlagEntry,
  parseHostPattern,
  patternMatches,
} from "./host_pattern.ts";
export { HostAllowlist, type HostMatch, urlPort } from "./host_allowlist.ts";
export {
  ADDRESS_CLASSES,
  type AddressClass,
  addressClass,
  cidrContains,
  embeddedIpv4,
} from "./address_class.ts";
export { type AddressPolicy, addressRefusal, isInternalName } from "./address_policy.ts";
export {
  compareNetEntries,
  type DeclaredHost,
  grantNet,
  type GrantNetOptions,
  type NetGrants,
} from "./net_grant.ts";
export { checkHost, systemResolver } from "./net_guard.ts";
export type { GuardOptions, Resolver } from "./net_guard.ts";
export {
  type EstimateInput,
  estimateSandboxCost,
  type MeterInput,
  meterSandboxCost,
  parseSandboxPrices,
  sumSandboxCosts,
} from "./sandbox_prices.ts";
export {
  emptyTeardownReport,
  missingSandboxMethods,
  REQUIRED_SANDBOX_METHODS,
  type SandboxLifecycle,
  sandboxLifecycle,
} from "./sandbox_lifecycle.ts";
