/**
 * `envCodecs`: the codecs to read rows written under an earlier setting: AES-GCM (version 1)
 * when `ZU_EVENT_KEY` is set, and the managed codec (version 2), which looks its
 * `ZU_EVENT_KEY_<id>` key up per row. A missing or malformed key is skipped here; it is reported
 * when a row needs it.
 *
 * @example
 * ```ts
 * import { envCodecs } from "./env_codecs.ts";
 * console.assert(envCodecs(() => undefined).every((c) => c.version !== 1));
 * ```
 * @module
 */
import type { PayloadCodec } from "../../core/types.ts";
import { AesGcmCodec } from "./aes_gcm_codec.ts";
import type { EnvReader } from "./decode_key.ts";
import { ManagedAesGcmCodec } from "./managed_aes_gcm_codec.ts";

/** The codecs the keys in `env` make available (possibly none). */
export function envCodecs(env: EnvReader): PayloadCodec[] {
  const out: PayloadCodec[] = [];
  if (env("ZU_EVENT_KEY")) {
    try {
      out.push(AesGcmCodec.fromEnv({ env }));
    } catch {
      // malformed: reported when a row needs it
    }
  }
  try {
    out.push(ManagedAesGcmCodec.fromEnv({ env }));
  } catch {
    // no managed keys
  }
  return out;
}
