/**
 * Key providers for {@link ManagedAesGcmCodec}: {@link EnvKeyProvider} (zu's environment layout)
 * and {@link StaticKeyProvider} (keys given in code, e.g. from a KMS client or a test).
 *
 * @example
 * ```ts
 * import { EnvKeyProvider } from "./env_key_provider.ts";
 * const env = new Map([["ZU_EVENT_KEY_ID", "k1"], ["ZU_EVENT_KEY_k1", "00".repeat(32)]]);
 * const kp = new EnvKeyProvider({ env: (n) => env.get(n) });
 * console.assert(kp.currentKeyId() === "k1" && kp.key("k1").length === 32);
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { KeyProvider } from "../../core/types.ts";
import { checkKeyLength, decodeKey, denoEnv, type EnvReader } from "./decode_key.ts";

/** Options of {@link EnvKeyProvider}. */
export interface EnvKeyProviderOptions {
  /** The id new rows are written under. Default `ZU_EVENT_KEY_ID`, else `"default"`. */
  currentKeyId?: string;
  /** Environment seam. Default `Deno.env.get`. */
  env?: EnvReader;
}

/**
 * zu's `EnvKeyProvider`: key `<id>` is in `ZU_EVENT_KEY_<id>` (hex or base64); the current id is
 * `ZU_EVENT_KEY_ID` (default `"default"`); id `default` also accepts the bare `ZU_EVENT_KEY`.
 */
export class EnvKeyProvider implements KeyProvider {
  #env: EnvReader;
  #current: string;

  /** Reads the current id now; keys are read when asked for. */
  constructor(options: EnvKeyProviderOptions = {}) {
    this.#env = options.env ?? denoEnv;
    this.#current = options.currentKeyId || this.#env("ZU_EVENT_KEY_ID") || "default";
  }

  /** The id new rows are written under. */
  currentKeyId(): string {
    return this.#current;
  }

  /** The key for `id`. Throws `UserError` (code `key_missing` / `key_invalid`). */
  key(id: string): Uint8Array {
    const name = `ZU_EVENT_KEY_${id}`;
    let raw = this.#env(name);
    let used = name;
    if ((raw === undefined || raw === "") && id === "default") {
      raw = this.#env("ZU_EVENT_KEY");
      used = "ZU_EVENT_KEY";
    }
    if (raw === undefined || raw === "") {
      throw new UserError(
        "key_missing",
        `Cannot find key "${id}": set ${name} to a 32-byte key as hex or base64 (keep old keys after a rotation so old rows decrypt)`,
      );
    }
    return decodeKey(raw, used);
  }
}

/** Keys given in code, by id. */
export class StaticKeyProvider implements KeyProvider {
  #keys: Map<string, Uint8Array>;
  #current: string;

  /** `keys` by id; `currentKeyId` must be one of them. */
  constructor(keys: Readonly<Record<string, Uint8Array>>, currentKeyId: string) {
    this.#keys = new Map();
    for (const [id, k] of Object.entries(keys)) {
      checkKeyLength(k, `"${id}"`);
      this.#keys.set(id, new Uint8Array(k));
    }
    if (!this.#keys.has(currentKeyId)) {
      throw new TypeError(`Cannot use key id "${currentKeyId}": no key is given for it`);
    }
    this.#current = currentKeyId;
  }

  /** The id new rows are written under. */
  currentKeyId(): string {
    return this.#current;
  }

  /** The key for `id`. Throws `UserError` (code `key_missing`) for an unknown id. */
  key(id: string): Uint8Array {
    const k = this.#keys.get(id);
    if (k === undefined) {
      throw new UserError("key_missing", `Cannot find key "${id}": it is not configured`);
    }
    return k;
  }
}
