/**
 * What a harden run really talks to, in the words its header prints.
 *
 * @example
 * ```ts
 * import { modeLabel } from "./harden_mode.ts";
 * console.assert(modeLabel("live").startsWith("live"));
 * ```
 * @module
 */
import type { ModelMode } from "./offline.ts";

/** The header's words for a model mode (`live` calls the agent's model). */
export function modeLabel(mode: ModelMode): string {
  return mode === "live"
    ? "live — calls the agent's model; tools replay from the capture, no other network"
    : mode === "oracle"
    ? "offline — an oracle attacker that obeys every planted attack reaching it, no network"
    : mode === "hijacked"
    ? "offline — a hijacked model that obeys injected instructions, no network"
    : "offline — no model, no network";
}
