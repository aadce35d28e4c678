/**
 * The vault key: 32 bytes from `ZU_VAULT_KEY` (64 hex characters or base64), or from a key
 * command (`--vault-key-cmd '["pass","zu/vault"]'` or `ZU_VAULT_KEY_CMD`, a JSON argv run
 * without a shell whose stdout is the key text). The key is read once per store and kept in
 * memory only.
 *
 * Blobs are written under a key id derived from the key (`zv-` + 8 hex of a SHA-256 over a
 * fixed label and the key), so a vault opened with another key is told apart from a tampered
 * blob and the error can say "the vault key does not open this vault".
 *
 * @example
 * ```ts
 * import { loadVaultKey, VaultKeyProvider } from "./vault_key.ts";
 * const key = await loadVaultKey({ env: (n) => n === "ZU_VAULT_KEY" ? "11".repeat(32) : undefined });
 * const kp = new VaultKeyProvider(key);
 * console.assert(kp.currentKeyId().startsWith("zv-") && kp.key(kp.currentKeyId()).length === 32);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { UserError } from "../../core/errors.ts";
import type { EnvReader, KeyProvider } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";
import { decodeKey } from "../../sinks/encryption/decode_key.ts";
import { parseSecretRef, resolveSecretRef } from "./secret_ref.ts";

/** The environment variable holding the key. */
export const VAULT_KEY_ENV = "ZU_VAULT_KEY";
/** The environment variable holding the key command (a JSON argv). */
export const VAULT_KEY_CMD_ENV = "ZU_VAULT_KEY_CMD";

/** Options of {@link loadVaultKey}. */
export interface VaultKeyOptions {
  /** Environment seam. Default `Deno.env.get`. */
  env?: EnvReader;
  /** A key command (JSON argv text or an argv); wins over the environment. */
  keyCmd?: string | readonly string[];
}

const HINT =
  `set ${VAULT_KEY_ENV} to 32 random bytes as 64 hex characters (e.g. "openssl rand -hex 32") or base64, or give a key command with --vault-key-cmd '["pass","zu"]' or ${VAULT_KEY_CMD_ENV}`;

function keyCmdArgv(keyCmd: string | readonly string[]): string[] {
  if (typeof keyCmd !== "string") return [...keyCmd];
  let argv: unknown;
  try {
    argv = JSON.parse(keyCmd);
  } catch {
    argv = null;
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) {
    throw new UserError(
      "key_invalid",
      `Cannot use the vault key command: it must be a JSON array of strings such as '["pass","zu"]'`,
    );
  }
  return argv as string[];
}

/**
 * Reads the vault key: the key command when one is given (option, else `ZU_VAULT_KEY_CMD`),
 * else `ZU_VAULT_KEY`. Throws `UserError` (`key_missing` / `key_invalid`) saying what to set.
 */
export async function loadVaultKey(options: VaultKeyOptions = {}): Promise<Uint8Array> {
  const env = options.env ?? safeEnv;
  const cmd = options.keyCmd ?? (env(VAULT_KEY_CMD_ENV) || undefined);
  if (cmd !== undefined) {
    const argv = keyCmdArgv(cmd);
    const ref = parseSecretRef(`cmd:${JSON.stringify(argv)}`);
    let text: string;
    try {
      text = await resolveSecretRef(ref, { env });
    } catch (e) {
      const why = e instanceof Error
        ? e.message.replace(/^Cannot resolve secret reference /, "")
        : "";
      throw new UserError("key_missing", `Cannot read the vault key from its command ${why}`);
    }
    return decodeKey(text, "from the vault key command");
  }
  const raw = env(VAULT_KEY_ENV);
  if (raw === undefined || raw.trim() === "") {
    throw new UserError("key_missing", `Cannot open the vault: no vault key; ${HINT}`);
  }
  try {
    return decodeKey(raw, VAULT_KEY_ENV);
  } catch {
    throw new UserError(
      "key_invalid",
      `Cannot use ${VAULT_KEY_ENV}: it is not a 32-byte key; ${HINT}`,
    );
  }
}

/** The key id blobs made with `key` carry (`zv-` + 8 hex characters). */
export function vaultKeyId(key: Uint8Array): string {
  const h = createHash("sha256").update("zu-vault-key-id/v1\0").update(key).digest("hex");
  return `zv-${h.slice(0, 8)}`;
}

/**
 * A {@link KeyProvider} over one vault key for `ManagedAesGcmCodec`: its id is
 * {@link vaultKeyId}; asking for any other id throws `UserError` (code `decrypt_failed`) saying
 * the key does not open the vault.
 */
export class VaultKeyProvider implements KeyProvider {
  #key: Uint8Array;
  #id: string;

  /** Over `key` (32 bytes). */
  constructor(key: Uint8Array) {
    if (key.length !== 32) {
      throw new UserError("key_invalid", `Cannot use the vault key: it must be 32 bytes; ${HINT}`);
    }
    this.#key = new Uint8Array(key);
    this.#id = vaultKeyId(key);
  }

  /** The id new blobs are written under. */
  currentKeyId(): string {
    return this.#id;
  }

  /** The key for `id`, which must be this key's id. */
  key(id: string): Uint8Array {
    if (id !== this.#id) {
      throw new UserError(
        "decrypt_failed",
        `the vault key does not open this vault (it was made with key ${id}, the key given is ${this.#id}): set ${VAULT_KEY_ENV} to the key it was made with`,
      );
    }
    return this.#key;
  }
}
