/**
 * Encryption at rest for event logs: zu's AES-256-GCM codecs (version 1, one key; version 2, key
 * ids and rotation) and their key providers.
 *
 * @example
 * ```ts
 * import { ManagedAesGcmCodec, StaticKeyProvider } from "./mod.ts";
 * const codec = new ManagedAesGcmCodec(new StaticKeyProvider({ "2026q1": new Uint8Array(32) }, "2026q1"));
 * console.assert(codec.version === 2);
 * ```
 * @module
 */
export { AesGcmCodec } from "./aes_gcm_codec.ts";
export type { AesGcmFromEnvOptions } from "./aes_gcm_codec.ts";
export { ManagedAesGcmCodec } from "./managed_aes_gcm_codec.ts";
export { EnvKeyProvider, StaticKeyProvider } from "./env_key_provider.ts";
export type { EnvKeyProviderOptions } from "./env_key_provider.ts";
export { CODEC_NAMES, createCodec } from "./create_codec.ts";
export type { CreateCodecOptions } from "./create_codec.ts";
export { decodeKey } from "./decode_key.ts";
export { envCodecs } from "./env_codecs.ts";
export type { EnvReader } from "./decode_key.ts";
