/**
 * Keys that only the operator may set: secret bindings and their sources. An agent file or a
 * capture bundle that carries one at its top level is refused, never half-honoured, because a
 * repository-controlled file that names its own inject hosts could pull a secret out (the
 * repo-scope bypass that Anthropic's sandbox runtime closes by ignoring repository settings).
 *
 * @example
 * ```ts
 * import { operatorOnlyKeyIn } from "./operator_only_keys.ts";
 * console.assert(operatorOnlyKeyIn({ provider: {}, bind: [] }) === "bind");
 * console.assert(operatorOnlyKeyIn({ provider: {} }) === null);
 * ```
 * @module
 */

/** The top-level keys refused in agent files and bundles. */
export const OPERATOR_ONLY_KEYS: readonly string[] = Object.freeze([
  "secrets",
  "secret",
  "bind",
  "bindings",
  "vault",
  "credentials",
]);

/** Why such a key is refused (the end of the one-line error). */
export const OPERATOR_ONLY_REASON =
  "is refused: secret bindings come from the operator only (--secret/--bind or the operator config file ~/.config/zu/vault.json), never from an agent file or a bundle";

/** The first operator-only key `doc` has at its top level, or null. */
export function operatorOnlyKeyIn(doc: Readonly<Record<string, unknown>>): string | null {
  for (const k of OPERATOR_ONLY_KEYS) if (Object.hasOwn(doc, k)) return k;
  return null;
}
