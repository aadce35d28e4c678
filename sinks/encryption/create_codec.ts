/**
 * Picks a codec by name, as `event_sink.encryption` does in zu's config: `none`, `aesgcm` or
 * `managed`.
 *
 * @example
 * ```ts
 * import { createCodec } from "./create_codec.ts";
 * console.assert(createCodec("none").version === 0);
 * ```
 * @module
 */
import { IdentityCodec } from "../../core/codec.ts";
import type { PayloadCodec } from "../../core/types.ts";
import type { EnvReader } from "./decode_key.ts";
import { AesGcmCodec } from "./aes_gcm_codec.ts";
import { ManagedAesGcmCodec } from "./managed_aes_gcm_codec.ts";
import { CODEC_NAMES } from "./codec_names.ts";

export { CODEC_NAMES };

/** Options of {@link createCodec}. */
export interface CreateCodecOptions {
  /** Environment seam. Default `Deno.env.get`. */
  env?: EnvReader;
}

/** The codec for `name`; keys come from the environment. Throws `TypeError` for an unknown name. */
export function createCodec(name: string, options: CreateCodecOptions = {}): PayloadCodec {
  const env = options.env ? { env: options.env } : {};
  switch (name) {
    case "none":
      return new IdentityCodec();
    case "aesgcm":
      return AesGcmCodec.fromEnv(env);
    case "managed":
      return ManagedAesGcmCodec.fromEnv(env);
    default:
      throw new TypeError(
        `Cannot pick codec "${name}": it must be one of ${
          CODEC_NAMES.map((n) => `"${n}"`).join(", ")
        }`,
      );
  }
}
