/**
 * `ManagedAesGcmCodec` (version 2): AES-256-GCM with key ids, so keys rotate and old rows still
 * decrypt. Body `kid_len(1) ‖ kid(UTF-8, 1..255) ‖ nonce(12) ‖ ct ‖ tag(16)`; the GCM AAD is
 * `row AAD ‖ kid_len ‖ kid`, so the key id is authenticated.
 *
 * @example
 * ```ts
 * import { ManagedAesGcmCodec } from "./managed_aes_gcm_codec.ts";
 * import { StaticKeyProvider } from "./env_key_provider.ts";
 * const codec = new ManagedAesGcmCodec(new StaticKeyProvider({ k1: new Uint8Array(32) }, "k1"));
 * const body = await codec.encodeBody("x", new Uint8Array());
 * console.assert(body[0] === 2 && (await codec.decodeBody(body, new Uint8Array())) === "x");
 * ```
 * @module
 */
import type { SyncPayloadCodec } from "../../core/codec.ts";
import type { KeyProvider } from "../../core/types.ts";
import { openGcm, sealGcm, settle } from "./_aes_gcm.ts";
import { checkKeyLength, type EnvReader } from "./decode_key.ts";
import { EnvKeyProvider } from "./env_key_provider.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function bindKid(aad: Uint8Array, kid: Uint8Array): Uint8Array {
  const out = new Uint8Array(aad.length + 1 + kid.length);
  out.set(aad, 0);
  out[aad.length] = kid.length;
  out.set(kid, aad.length + 1);
  return out;
}

/** AES-256-GCM keyed by a {@link KeyProvider} (zu's `ManagedAesGcmCodec`, version 2). */
export class ManagedAesGcmCodec implements SyncPayloadCodec {
  /** Always 2. */
  readonly version = 2;
  #provider: KeyProvider;
  #keys = new Map<string, Uint8Array>();

  /** Uses `provider` for the current id and for reading old ids. */
  constructor(provider: KeyProvider) {
    this.#provider = provider;
  }

  /** Over an {@link EnvKeyProvider} (`ZU_EVENT_KEY_ID`, `ZU_EVENT_KEY_<id>`). */
  static fromEnv(options: { env?: EnvReader; currentKeyId?: string } = {}): ManagedAesGcmCodec {
    const kp = new EnvKeyProvider({
      ...(options.env ? { env: options.env } : {}),
      ...(options.currentKeyId ? { currentKeyId: options.currentKeyId } : {}),
    });
    return new ManagedAesGcmCodec(kp);
  }

  /** The id new rows are written under. */
  currentKeyId(): string {
    return this.#provider.currentKeyId();
  }

  #key(id: string): Uint8Array {
    let k = this.#keys.get(id);
    if (k === undefined) {
      k = this.#provider.key(id);
      checkKeyLength(k, `"${id}"`);
      this.#keys.set(id, k);
    }
    return k;
  }

  /** `kid_len ‖ kid ‖ nonce ‖ ct ‖ tag` under the current key id. */
  encodeBody(plaintext: string, aad: Uint8Array): Promise<Uint8Array> {
    return settle(() => this.encodeBodySync(plaintext, aad));
  }

  /** The text; rejects on an unknown key id, a wrong key, or tampering. */
  decodeBody(body: Uint8Array, aad: Uint8Array): Promise<string> {
    return settle(() => this.decodeBodySync(body, aad));
  }

  /** Synchronous {@link ManagedAesGcmCodec.encodeBody}. */
  encodeBodySync(plaintext: string, aad: Uint8Array): Uint8Array {
    const kid = this.#provider.currentKeyId();
    const kidBytes = encoder.encode(kid);
    if (kidBytes.length < 1 || kidBytes.length > 255) {
      throw new RangeError(
        `Cannot encrypt: key id "${kid}" must be 1..255 UTF-8 bytes, got ${kidBytes.length}`,
      );
    }
    const sealed = sealGcm(this.#key(kid), encoder.encode(plaintext), bindKid(aad, kidBytes));
    const out = new Uint8Array(1 + kidBytes.length + sealed.length);
    out[0] = kidBytes.length;
    out.set(kidBytes, 1);
    out.set(sealed, 1 + kidBytes.length);
    return out;
  }

  /** Synchronous {@link ManagedAesGcmCodec.decodeBody}; throws on failure. */
  decodeBodySync(body: Uint8Array, aad: Uint8Array): string {
    try {
      if (body.length < 1) throw new Error("the body is empty");
      const klen = body[0]!;
      if (klen === 0 || body.length < 1 + klen) {
        throw new Error(`the body is truncated (key id of ${klen} bytes)`);
      }
      const kidBytes = body.subarray(1, 1 + klen);
      let kid: string;
      try {
        kid = decoder.decode(kidBytes);
      } catch {
        throw new Error("the key id is not valid UTF-8");
      }
      let key: Uint8Array;
      try {
        key = this.#key(kid);
      } catch (e) {
        throw new Error(`key id "${kid}": ${e instanceof Error ? e.message : e}`);
      }
      try {
        return decoder.decode(openGcm(key, body.subarray(1 + klen), bindKid(aad, kidBytes)));
      } catch (e) {
        throw new Error(`key id "${kid}": ${e instanceof Error ? e.message : e}`);
      }
    } catch (e) {
      throw new Error(`managed AES-256-GCM (v2): ${e instanceof Error ? e.message : e}`);
    }
  }
}
