/**
 * AES-256-GCM on node:crypto (synchronous, byte-compatible with Python's `cryptography` AESGCM):
 * `nonce(12) ‖ ciphertext ‖ tag(16)`.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Nonce length. */
export const NONCE_LEN = 12;
/** Tag length. */
export const TAG_LEN = 16;

/** Encrypts `plaintext` under `key` with a fresh random nonce; returns `nonce ‖ ct ‖ tag`. */
export function sealGcm(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_LEN);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const ct = cipher.update(plaintext);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(NONCE_LEN + ct.length + tail.length + TAG_LEN);
  out.set(nonce, 0);
  out.set(ct, NONCE_LEN);
  out.set(tail, NONCE_LEN + ct.length);
  out.set(tag, NONCE_LEN + ct.length + tail.length);
  return out;
}

/**
 * Decrypts `nonce ‖ ct ‖ tag`. Throws `Error` with a short reason on a truncated body or a failed
 * authentication (wrong key, tampered data or AAD).
 */
export function openGcm(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_LEN + TAG_LEN) {
    throw new Error(
      `the body is truncated (${sealed.length} bytes, at least ${NONCE_LEN + TAG_LEN} needed)`,
    );
  }
  const nonce = sealed.subarray(0, NONCE_LEN);
  const ct = sealed.subarray(NONCE_LEN, sealed.length - TAG_LEN);
  const tag = sealed.subarray(sealed.length - TAG_LEN);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    const head = decipher.update(ct);
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  } catch {
    throw new Error("authentication failed (wrong key, or the blob or its row was tampered with)");
  }
}

/** Runs a synchronous codec step as a promise: its value, or a rejection with what it threw. */
export function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (e) {
    return Promise.reject(e);
  }
}
