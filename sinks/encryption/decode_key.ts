/**
 * Key text decoding (hex or base64, 32 bytes) and the environment seam of the AES-GCM codecs.
 *
 * @example
 * ```ts
 * import { decodeKey } from "./decode_key.ts";
 * console.assert(decodeKey("00".repeat(32)).length === 32);
 * ```
 *
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Reads an environment variable; `undefined` when unset. */
import type { EnvReader } from "../../core/types.ts";
export type { EnvReader };

/** The default {@link EnvReader}: `Deno.env.get`. */
export const denoEnv: EnvReader = (name) => Deno.env.get(name);

/** AES-256 key length. */
export const KEY_LEN = 32;

const HEX64 = /^[0-9a-fA-F]{64}$/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a 32-byte key given as 64 hex characters or base64 (zu's rule: hex first when the text
 * is 64 characters long). Throws `UserError` (code `key_invalid`) naming `name` otherwise.
 */
export function decodeKey(raw: string, name = "ZU_EVENT_KEY"): Uint8Array {
  const text = raw.trim();
  let key: Uint8Array | null = null;
  if (HEX64.test(text)) {
    key = new Uint8Array(KEY_LEN);
    for (let i = 0; i < KEY_LEN; i++) key[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  } else if (text.length > 0 && B64.test(text)) {
    const bin = atob(text);
    key = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  if (key === null) {
    throw new UserError(
      "key_invalid",
      `Cannot read key ${name}: it must be 32 bytes as hex or base64`,
    );
  }
  checkKeyLength(key, name);
  return key;
}

/** Throws `UserError` (code `key_invalid`) unless `key` is 32 bytes. */
export function checkKeyLength(key: Uint8Array, name: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LEN) {
    throw new UserError(
      "key_invalid",
      `Cannot use key ${name}: AES-256-GCM needs a ${KEY_LEN}-byte key, got ${
        key?.length ?? 0
      } bytes`,
    );
  }
}
