/**
 * Keys for encrypted capture bundles, as zu serves them: `ZU_FIXTURE_KEY` under key id
 * `fixture`; otherwise the event keys (`ZU_EVENT_KEY_ID`, default `default`, with
 * `ZU_EVENT_KEY_<id>`, and legacy `ZU_EVENT_KEY` for `default`).
 *
 * @module
 */
import { DecryptError } from "../core/errors.ts";
import type { KeyProvider } from "../core/types.ts";

/** The key id `ZU_FIXTURE_KEY` is served under. */
export const FIXTURE_KEY_ID = "fixture";

/** A read-only view of environment variables (inject `Deno.env.toObject()` or a test map). */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Decodes a 32-byte key written as 64 hex characters or base64. */
export function decodeKey(text: string, name: string): Uint8Array {
  const t = text.trim();
  let bytes: Uint8Array;
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
  } else {
    try {
      const bin = atob(t);
      bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    } catch {
      throw new DecryptError(`Cannot use key "${name}": it is neither 64 hex characters nor base64`);
    }
  }
  if (bytes.length !== 32) {
    throw new DecryptError(`Cannot use key "${name}": it must be 32 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** A key provider over fixed keys (`{kid: key}`) whose current id is `current`. */
export class StaticKeyProvider implements KeyProvider {
  #keys: Map<string, Uint8Array>;
  #current: string;
  /** Creates a provider; `current` must be one of the ids. */
  constructor(keys: Record<string, Uint8Array>, current: string) {
    this.#keys = new Map(Object.entries(keys));
    this.#current = current;
    if (!this.#keys.has(current)) throw new RangeError(`Unknown current key id "${current}"`);
  }
  /** The id new blobs are written under. */
  currentKeyId(): string {
    return this.#current;
  }
  /** The key for `id`; `DecryptError` when unknown. */
  key(id: string): Uint8Array {
    const k = this.#keys.get(id);
    if (k === undefined) throw new DecryptError(`Cannot decrypt: no key for key id "${id}"`);
    return k;
  }
}

/**
 * The key provider zu uses for fixtures, or null when no key is set (bundles are then plain).
 * `ZU_FIXTURE_KEY` wins (kid `fixture`); else `ZU_EVENT_KEY_ID`/`ZU_EVENT_KEY_<id>`/`ZU_EVENT_KEY`.
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
