/**
 * zu's seccomp profiles (`block`, `default`) and their typed loader.
 *
 * @example
 * ```ts
 * import { loadSeccompProfile } from "./mod.ts";
 * const { json } = await loadSeccompProfile("block");
 * console.assert(json.includes("SCMP_ACT_ERRNO"));
 * ```
 * @module
 */
export * from "./profile_loader.ts";
