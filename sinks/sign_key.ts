/**
 * `decodeSignKey`: the HMAC key of a signed event chain, read from the text of an environment
 * variable (hex, else base64; at least 16 bytes). The writer (`sign_key_env`) and the verifier
 * (`zu events verify --key-env`) decode it with this one function.
 *
 * @example
 * ```ts
 * import { decodeSignKey } from "./sign_key.ts";
 * console.assert(decodeSignKey("ab".repeat(32), "ZU_SIGN_KEY").length === 32);
 * ```
 * @module
 */
import { UserError } from "../core/errors.ts";

/** The shortest HMAC key accepted, in bytes. */
export const MIN_SIGN_KEY_BYTES = 16;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The key bytes of `raw` (the value of variable `name`): hex when it is hex, else base64.
 * Throws `UserError` (code `key_invalid`) naming `name` when it is neither or too short.
 */
export function decodeSignKey(raw: string, name: string): Uint8Array {
  const t = raw.trim();
  let key: Uint8Array | null = null;
  if (HEX.test(t)) {
    key = new Uint8Array(t.length / 2);
    for (let i = 0; i < key.length; i++) key[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
  } else if (t !== "" && B64.test(t)) {
    key = Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
  }
  if (key === null) {
    throw new UserError(
      "key_invalid",
      `Cannot read signing key "${name}": it must be hex or base64`,
    );
  }
  if (key.length < MIN_SIGN_KEY_BYTES) {
    throw new UserError(
      "key_invalid",
      `Cannot use signing key "${name}": it holds ${key.length} bytes, at least ${MIN_SIGN_KEY_BYTES} are needed`,
    );
  }
  return key;
}
