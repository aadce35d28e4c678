/**
 * Containment: `audit` (run in-process, log what tools declare) or `required` (refuse to run a
 * tool that needs a sandbox unless the process says it is sandboxed), zu's `security.py`.
 *
 * @example
 * ```ts
 * import { containmentBasis, enforceContainment } from "./security.ts";
 * const env = (name: string) => (name === "ZU_SANDBOXED" ? "1" : undefined);
 * enforceContainment("required", new Map(), { env }); // no tool needs containment: no throw
 * console.assert(containmentBasis("required", { env }).sandboxed === true);
 * ```
 * @module
 */
import { ContainmentRequired } from "../core/errors.ts";
import type { Tool } from "../core/types.ts";
import { safeEnv as systemEnv } from "../core/env.ts";

/** `audit` (default) or `required`. */
export type ContainmentPolicy = "audit" | "required";

/** Reads an environment variable; `undefined` when unset. */
import type { EnvReader } from "../core/types.ts";
export type { EnvReader };

/** Options shared by the containment helpers. */
export interface ContainmentOptions {
  /** Environment seam. Default: `Deno.env.get`, treating a denied read as unset. */
  env?: EnvReader;
}

function isSet(env: EnvReader, name: string): boolean {
  const v = env(name);
  return v !== undefined && v !== "";
}

/** A tool needs containment when it declares any capability or egress, or has tier 2 or more. */
export function needsContainment(tool: Tool): boolean {
  return (tool.capabilities?.size ?? 0) > 0 || (tool.egress?.size ?? 0) > 0 ||
    (tool.tier ?? 1) >= 2;
}

/**
 * No-op unless `policy` is `required` and `ZU_SANDBOXED` is unset or empty; then throws
 * {@link ContainmentRequired} listing (sorted) every tool that needs containment.
 */
export function enforceContainment(
  policy: ContainmentPolicy,
  tools: ReadonlyMap<string, Tool>,
  options: ContainmentOptions = {},
): void {
  if (policy !== "required" && policy !== "audit") {
    throw new TypeError(
      `Cannot enforce containment "${String(policy)}": use "audit" or "required"`,
    );
  }
  if (policy !== "required") return;
  const env = options.env ?? systemEnv;
  if (isSet(env, "ZU_SANDBOXED")) return;
  const offenders = [...tools.entries()].filter(([, t]) => needsContainment(t)).map(([n]) => n)
    .sort();
  if (offenders.length > 0) throw new ContainmentRequired(offenders);
}

/** What `harness.containment.attested` records. */
export interface ContainmentBasis {
  /** The policy. */
  policy: ContainmentPolicy;
  /** `ZU_SANDBOXED` is set (a forgeable plain variable). */
  sandboxed: boolean;
  /** `ZU_SANDBOXED`, `HTTPS_PROXY` and `ZU_SANDBOX_NETWORK` are all set. */
  corroborated: boolean;
  /** Which corroborating variables are set. */
  signals: { HTTPS_PROXY: boolean; ZU_SANDBOX_NETWORK: boolean };
}

/** The basis of a containment claim, from the environment. */
export function containmentBasis(
  policy: ContainmentPolicy,
  options: ContainmentOptions = {},
): ContainmentBasis {
  const env = options.env ?? systemEnv;
  const sandboxed = isSet(env, "ZU_SANDBOXED");
  const proxy = isSet(env, "HTTPS_PROXY");
  const network = isSet(env, "ZU_SANDBOX_NETWORK");
  return {
    policy,
    sandboxed,
    corroborated: sandboxed && proxy && network,
    signals: { HTTPS_PROXY: proxy, ZU_SANDBOX_NETWORK: network },
  };
}
