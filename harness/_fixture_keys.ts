/**
 * Keys for encrypted capture bundles, as zu serves them: `ZU_FIXTURE_KEY` under key id
 * `fixture`; otherwise the event keys (`ZU_EVENT_KEY_ID`, default `default`, with
 * `ZU_EVENT_KEY_<id>`, and legacy `ZU_EVENT_KEY` for `default`).
 *
 * @module
 */
import type { KeyProvider } from "../core/types.ts";
import { decodeKey } from "../sinks/encryption/decode_key.ts";
import { StaticKeyProvider } from "../sinks/encryption/env_key_provider.ts";

/** The key id `ZU_FIXTURE_KEY` is served under. */
export const FIXTURE_KEY_ID = "fixture";

/** A read-only view of environment variables (inject `Deno.env.toObject()` or a test map). */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/**
 * The key provider zu uses for fixtures, or null when no key is set (bundles are then plain).
 * `ZU_FIXTURE_KEY` wins (kid `fixture`); else `ZU_EVENT_KEY_ID`/`ZU_EVENT_KEY_<id>`/`ZU_EVENT_KEY`.
 * A malformed key is a `UserError` naming the variable.
 */
export function fixtureKeyProvider(env: EnvLike): KeyProvider | null {
  const keys: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "") continue;
    if (name.startsWith("ZU_EVENT_KEY_") && name !== "ZU_EVENT_KEY_ID") {
      keys[name.slice("ZU_EVENT_KEY_".length)] = decodeKey(value, name);
    }
  }
  const legacy = env.ZU_EVENT_KEY;
  if (legacy && keys.default === undefined) keys.default = decodeKey(legacy, "ZU_EVENT_KEY");
  const fixture = env.ZU_FIXTURE_KEY;
  if (fixture) {
    keys[FIXTURE_KEY_ID] = decodeKey(fixture, "ZU_FIXTURE_KEY");
    return new StaticKeyProvider(keys, FIXTURE_KEY_ID);
  }
  const current = env.ZU_EVENT_KEY_ID || "default";
  if (keys[current] === undefined) return null;
  return new StaticKeyProvider(keys, current);
}
