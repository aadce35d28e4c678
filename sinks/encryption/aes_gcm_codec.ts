/**
 * `AesGcmCodec` (version 1): AES-256-GCM under one key; body `nonce(12) ‖ ct ‖ tag(16)`, AAD =
 * the row AAD.
 *
 * @example
 * ```ts
 * import { AesGcmCodec } from "./aes_gcm_codec.ts";
 * const codec = new AesGcmCodec(crypto.getRandomValues(new Uint8Array(32)));
 * const aad = new TextEncoder().encode("row");
 * const body = await codec.encodeBody("secret", aad);
 * console.assert((await codec.decodeBody(body, aad)) === "secret");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { SyncPayloadCodec } from "../../core/codec.ts";
import { openGcm, sealGcm, settle } from "./_aes_gcm.ts";
import { checkKeyLength, decodeKey, denoEnv, type EnvReader } from "./decode_key.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Options of {@link AesGcmCodec.fromEnv}. */
export interface AesGcmFromEnvOptions {
  /** The variable holding the key. Default `ZU_EVENT_KEY`. */
  variable?: string;
  /** Environment seam. Default `Deno.env.get`. */
  env?: EnvReader;
}

/** AES-256-GCM with a single 32-byte key (zu's `AesGcmCodec`, version 1). */
export class AesGcmCodec implements SyncPayloadCodec {
  /** Always 1. */
  readonly version = 1;
  #key: Uint8Array;

  /** Uses `key` (32 bytes; `UserError` otherwise). */
  constructor(key: Uint8Array) {
    checkKeyLength(key, "for AesGcmCodec");
    this.#key = new Uint8Array(key);
  }

  /**
   * Reads the key from `ZU_EVENT_KEY` (64 hex characters or base64). Throws `UserError` (code
   * `key_missing` or `key_invalid`) when it is unset or malformed.
   */
  static fromEnv(options: AesGcmFromEnvOptions = {}): AesGcmCodec {
    const name = options.variable ?? "ZU_EVENT_KEY";
    const raw = (options.env ?? denoEnv)(name);
    if (raw === undefined || raw.trim() === "") {
      throw new UserError(
        "key_missing",
        `Cannot enable encryption at rest: ${name} is not set (give a 32-byte key as hex or base64)`,
      );
    }
    return new AesGcmCodec(decodeKey(raw, name));
  }

  /** `nonce ‖ ct ‖ tag` of the UTF-8 text, bound to `aad`. */
  encodeBody(plaintext: string, aad: Uint8Array): Promise<Uint8Array> {
    return settle(() => this.encodeBodySync(plaintext, aad));
  }

  /** The text; rejects when the key is wrong or the body or AAD was tampered with. */
  decodeBody(body: Uint8Array, aad: Uint8Array): Promise<string> {
    return settle(() => this.decodeBodySync(body, aad));
  }

  /** Synchronous {@link AesGcmCodec.encodeBody}. */
  encodeBodySync(plaintext: string, aad: Uint8Array): Uint8Array {
    return sealGcm(this.#key, encoder.encode(plaintext), aad);
  }

  /** Synchronous {@link AesGcmCodec.decodeBody}; throws on a wrong key or tampering. */
  decodeBodySync(body: Uint8Array, aad: Uint8Array): string {
    try {
      return decoder.decode(openGcm(this.#key, body, aad));
    } catch (e) {
      throw new Error(`AES-256-GCM (v1): ${e instanceof Error ? e.message : e}`);
    }
  }
}
