/**
 * The managed AES-256-GCM body (codec version 2) for fixture bundles: `kid_len u8 ‖ kid ‖
 * nonce 12 ‖ ct‖tag`, additional data `aad ‖ kid_len ‖ kid`. Byte-compatible with zu's
 * `ManagedAesGcmCodec`; kept here so the harness needs nothing beyond WebCrypto.
 *
 * @module
 */
import { DecryptError } from "../core/errors.ts";
import type { KeyProvider, PayloadCodec } from "../core/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function importKey(raw: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [usage]);
}

function effectiveAad(aad: Uint8Array, kid: Uint8Array): Uint8Array {
  const out = new Uint8Array(aad.length + 1 + kid.length);
  out.set(aad, 0);
  out[aad.length] = kid.length;
  out.set(kid, aad.length + 1);
  return out;
}

/** zu's managed codec (version byte 2) over a {@link KeyProvider}. */
export class FixtureManagedCodec implements PayloadCodec {
  /** Codec version byte. */
  readonly version = 2;
  #keys: KeyProvider;
  /** Creates the codec. */
  constructor(keys: KeyProvider) {
    this.#keys = keys;
  }

  /** Encrypts under the current key id. */
  async encodeBody(plaintext: string, aad: Uint8Array): Promise<Uint8Array> {
    const kidText = this.#keys.currentKeyId();
    const kid = enc.encode(kidText);
    if (kid.length < 1 || kid.length > 255) throw new RangeError(`Bad key id "${kidText}"`);
    const key = await importKey(this.#keys.key(kidText), "encrypt");
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        {
          name: "AES-GCM",
          iv: nonce,
          additionalData: effectiveAad(aad, kid) as BufferSource,
          tagLength: 128,
        },
        key,
        enc.encode(plaintext),
      ),
    );
    const out = new Uint8Array(1 + kid.length + 12 + ct.length);
    out[0] = kid.length;
    out.set(kid, 1);
    out.set(nonce, 1 + kid.length);
    out.set(ct, 1 + kid.length + 12);
    return out;
  }

  /** Decrypts; `DecryptError` on a short blob, unknown key id, wrong key or tampering. */
  async decodeBody(body: Uint8Array, aad: Uint8Array): Promise<string> {
    const kidLen = body[0] ?? 0;
    if (kidLen < 1 || body.length < 1 + kidLen + 12 + 16) {
      throw new DecryptError("Cannot decrypt: the managed blob is too short");
    }
    const kid = body.subarray(1, 1 + kidLen);
    let kidText: string;
    try {
      kidText = dec.decode(kid);
    } catch {
      throw new DecryptError("Cannot decrypt: the key id is not UTF-8");
    }
    const key = await importKey(this.#keys.key(kidText), "decrypt");
    const nonce = body.subarray(1 + kidLen, 1 + kidLen + 12);
    try {
      const pt = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: nonce as BufferSource,
          additionalData: effectiveAad(aad, kid) as BufferSource,
          tagLength: 128,
        },
        key,
        body.subarray(1 + kidLen + 12) as BufferSource,
      );
      return dec.decode(pt);
    } catch {
      throw new DecryptError(
        `Cannot decrypt: wrong key for key id "${kidText}", or the blob was altered`,
      );
    }
  }
}
