/**
 * The operator's sandbox price table: the one parser (`sandbox_prices:` in agent.yaml, the
 * `--prices <file>` of `zu sandbox cost`) and the one pricing rule every backend uses for
 * `estimateCost` and `meterActual`.
 *
 * Keys (snake_case, USD): `vcpu_second`, `gib_second`, `launch` (all three required, finite
 * numbers ≥ 0), `memory` (`limit`, the default, or `use`: what a meter charges memory on),
 * `currency` (only `USD`). Anything else is refused in one line (`prices_invalid`).
 *
 * @example
 * ```ts
 * import { estimateSandboxCost, parseSandboxPrices } from "./sandbox_prices.ts";
 * const prices = parseSandboxPrices(
 *   { vcpu_second: 0.00001, gib_second: 0.000002, launch: 0.001 },
 *   "agent.yaml",
 * );
 * const cost = estimateSandboxCost(prices, { cpuLimit: 1, memoryLimitBytes: 2 ** 30, durationS: 100 });
 * console.assert(Math.abs(cost.usd - (0.001 + 0.0002 + 0.001)) < 1e-12);
 * ```
 * @module
 */
import { UserError } from "./errors.ts";
import type { SandboxCost, SandboxPrices } from "./types.ts";

const GIB = 1024 ** 3;
const PRICE_KEYS = ["vcpu_second", "gib_second", "launch"] as const;
const KEYS: readonly string[] = [...PRICE_KEYS, "memory", "currency"];
const WHAT: Record<(typeof PRICE_KEYS)[number], string> = {
  vcpu_second: "USD per vCPU-second, e.g. 0.000012",
  gib_second: "USD per GiB-second of memory, e.g. 0.0000015",
  launch: "USD per sandbox launch, e.g. 0.0005 (0 for none)",
};

function refuse(where: string, why: string): never {
  throw new UserError("prices_invalid", `Cannot use sandbox prices from ${where}: ${why}`);
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

/**
 * Parses a price table (a mapping from YAML or JSON). Throws a one-line `UserError`
 * (`prices_invalid`) for a missing, negative, non-numeric or unknown entry. `where` names the
 * source in the message (`"agent.yaml sandbox_prices"`, a file path).
 */
export function parseSandboxPrices(value: unknown, where: string): SandboxPrices {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse(where, `must be a mapping of ${PRICE_KEYS.join(", ")}, got ${show(value)}`);
  }
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!KEYS.includes(k)) refuse(where, `"${k}" is not a price key (keys: ${KEYS.join(", ")})`);
  }
  const out: Record<string, number> = {};
  for (const k of PRICE_KEYS) {
    const p = v[k];
    if (p === undefined || p === null) refuse(where, `"${k}" is missing (${WHAT[k]})`);
    if (typeof p !== "number" || !Number.isFinite(p)) {
      refuse(where, `"${k}" must be a number (${WHAT[k]}), got ${show(p)}`);
    }
    if (p < 0) refuse(where, `"${k}" is negative (${p}); prices are ≥ 0`);
    out[k] = p;
  }
  const currency = v.currency ?? "USD";
  if (currency !== "USD") refuse(where, `currency must be "USD", got ${show(currency)}`);
  const memory = v.memory ?? "limit";
  if (memory !== "limit" && memory !== "use") {
    refuse(where, `memory must be "limit" or "use", got ${show(memory)}`);
  }
  return {
    currency: "USD",
    vcpuSecond: out.vcpu_second!,
    gibSecond: out.gib_second!,
    launch: out.launch!,
    memory,
  };
}

/** The limits and duration an estimate is made from. */
export interface EstimateInput {
  /** The sandbox's CPU limit (fractional vCPUs). */
  cpuLimit: number;
  /** Its memory limit in bytes. */
  memoryLimitBytes: number;
  /** How long it would run, in seconds. */
  durationS: number;
}

/** What a sandbox with these limits costs over `durationS` (CPU and memory at their limits). */
export function estimateSandboxCost(prices: SandboxPrices, input: EstimateInput): SandboxCost {
  if (!Number.isFinite(input.durationS) || input.durationS < 0) {
    throw new RangeError(`Cannot estimate a sandbox's cost for ${input.durationS} s`);
  }
  const vcpuSeconds = input.cpuLimit * input.durationS;
  const gibSeconds = (input.memoryLimitBytes / GIB) * input.durationS;
  return {
    kind: "estimate",
    currency: "USD",
    usd: vcpuSeconds * prices.vcpuSecond + gibSeconds * prices.gibSecond + prices.launch,
    vcpuSeconds,
    gibSeconds,
    launches: 1,
    wallSeconds: input.durationS,
    memoryLimitBytes: input.memoryLimitBytes,
    cpuLimit: input.cpuLimit,
  };
}

/** What a sandbox's counters say it used. */
export interface MeterInput {
  /** CPU time in seconds (cgroup v1 `cpuacct.usage`, v2 `cpu.stat usage_usec`). */
  cpuSeconds: number;
  /** Peak memory in bytes (v1 `memory.max_usage_in_bytes`), or null when the daemon has none. */
  memoryPeakBytes: number | null;
  /** The memory limit in bytes. */
  memoryLimitBytes: number;
  /** The CPU limit. */
  cpuLimit: number;
  /** Wall seconds since it started. */
  wallSeconds: number;
}

/**
 * What a sandbox's measured use costs: CPU time × `vcpu_second`, memory (its limit, or its peak
 * use with `memory: use`, falling back to the limit when no peak is known) × wall × `gib_second`,
 * plus one launch.
 */
export function meterSandboxCost(prices: SandboxPrices, input: MeterInput): SandboxCost {
  const memBytes = prices.memory === "use" && input.memoryPeakBytes !== null
    ? input.memoryPeakBytes
    : input.memoryLimitBytes;
  const gibSeconds = (memBytes / GIB) * input.wallSeconds;
  return {
    kind: "metered",
    currency: "USD",
    usd: input.cpuSeconds * prices.vcpuSecond + gibSeconds * prices.gibSecond + prices.launch,
    vcpuSeconds: input.cpuSeconds,
    gibSeconds,
    launches: 1,
    wallSeconds: input.wallSeconds,
    cpuSeconds: input.cpuSeconds,
    memoryPeakBytes: input.memoryPeakBytes,
    memoryLimitBytes: input.memoryLimitBytes,
    cpuLimit: input.cpuLimit,
  };
}

/** Sums costs (a run's sandboxes): figures and USD added, `launches` counted. */
export function sumSandboxCosts(costs: readonly SandboxCost[]): {
  usd: number;
  vcpuSeconds: number;
  gibSeconds: number;
  launches: number;
  wallSeconds: number;
} {
  const total = { usd: 0, vcpuSeconds: 0, gibSeconds: 0, launches: 0, wallSeconds: 0 };
  for (const c of costs) {
    total.usd += c.usd;
    total.vcpuSeconds += c.vcpuSeconds;
    total.gibSeconds += c.gibSeconds;
    total.launches += c.launches;
    total.wallSeconds += c.wallSeconds;
  }
  return total;
}
