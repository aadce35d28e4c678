/**
 * `VaultStore`: the operator's secrets in one `node:sqlite` file (mode 0600, its directory 0700
 * when zu creates it), each encrypted with the managed AES-256-GCM codec (v2):
 *
 * ```sql
 * vault_secrets(name TEXT PRIMARY KEY, codec INT, blob BLOB, source TEXT,
 *               created TEXT, rotated TEXT, expires TEXT)
 * ```
 *
 * - `blob` is the codec body (`kid_len ‖ kid ‖ nonce ‖ ct ‖ tag`, `codec` = 2) with the AAD
 *   UTF-8 `"zu-vault/v1" ‖ name`: a blob copied under another name does not decrypt.
 * - `source` is `value` (the blob holds the value) or the reference text (`env:NAME`,
 *   `file:PATH#re`, `cmd:[...]`; the blob holds that same text encrypted, and the decrypted copy
 *   is the one used, so editing the column changes nothing).
 * - `resolve(name)` reads the row on every call, so a `rotate` by another process or another
 *   store on the same file is seen by the next call, with no restart.
 * - `list()` decrypts each row only to hash it: `sha256_prefix` is 12 hex characters of the
 *   SHA-256 of the stored value, or of the reference text for a reference (never of the value a
 *   reference points to, which may change at any time).
 *
 * SQLite is loaded only when a store is opened.
 *
 * @example
 * ```ts ignore
 * import { openVaultStore } from "./vault_store.ts";
 * await using vault = await openVaultStore({ path: "/tmp/v.db" }); // key from ZU_VAULT_KEY
 * await vault.set("GH", { ref: "env:GITHUB_TOKEN" });
 * const token = await vault.resolve("GH");
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { EnvReader, SecretResolver } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";
import { ManagedAesGcmCodec } from "../../sinks/encryption/managed_aes_gcm_codec.ts";
import type { DatabaseSync } from "../../sinks/sqlite/node_sqlite.ts";
import { checkSecretName } from "./secret_name.ts";
import { formatSecretRef, parseSecretRef, resolveSecretRef, type SecretRef } from "./secret_ref.ts";
import { loadVaultKey, type VaultKeyOptions, VaultKeyProvider } from "./vault_key.ts";

/** The AAD prefix of every blob. */
export const VAULT_AAD_PREFIX = "zu-vault/v1";
/** The codec version of the blobs (managed AES-256-GCM). */
export const VAULT_CODEC = 2;

/** What a secret is stored as: the value itself, or a reference to it. */
export type VaultSecretInput = { value: string } | { ref: string | SecretRef };

/** One row of {@link VaultStore.list}: never a value. */
export interface VaultEntry {
  /** Secret name. */
  name: string;
  /** `value`, `env`, `file` or `cmd`. */
  source_kind: "value" | "env" | "file" | "cmd";
  /** When it was set (UTC ISO-8601). */
  created: string;
  /** When it was last rotated, or null. */
  rotated: string | null;
  /** 12 hex characters of the SHA-256 of the stored value (or of the reference text). */
  sha256_prefix: string;
}

/** Options of {@link openVaultStore}. */
export interface VaultStoreOptions extends VaultKeyOptions {
  /** The vault file. Default {@link defaultVaultPath}. */
  path?: string;
  /** The key itself (tests, a KMS): wins over the key command and `ZU_VAULT_KEY`. */
  key?: Uint8Array;
  /** Directory relative `file:` references and `cmd:` run in. Default `Deno.cwd()`. */
  cwd?: string;
}

/**
 * The default vault file: `$ZU_VAULT_PATH`, else `$XDG_CONFIG_HOME/zu/vault.db`, else
 * `~/.config/zu/vault.db`.
 */
export function defaultVaultPath(env: EnvReader = safeEnv): string {
  const explicit = env("ZU_VAULT_PATH");
  if (explicit) return explicit;
  return join(configDir(env), "vault.db");
}

/** `$XDG_CONFIG_HOME/zu`, else `~/.config/zu`. */
export function configDir(env: EnvReader = safeEnv): string {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "zu");
  const home = env("HOME");
  if (!home) {
    throw new UserError(
      "config_invalid",
      "Cannot find the zu config directory: set HOME or XDG_CONFIG_HOME (or ZU_VAULT_PATH for the vault)",
    );
  }
  return join(home, ".config", "zu");
}

const encoder = new TextEncoder();

function aadOf(name: string): Uint8Array {
  return encoder.encode(`${VAULT_AAD_PREFIX}${name}`);
}

function sha256Prefix(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
}

function now(): string {
  return new Date().toISOString();
}

function ensureFile(path: string): void {
  try {
    Deno.statSync(path);
    return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(path, e);
  }
  const dir = dirname(path);
  let dirExists = true;
  try {
    Deno.statSync(dir);
  } catch {
    dirExists = false;
  }
  try {
    if (!dirExists) {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      Deno.chmodSync(dir, 0o700);
    }
    Deno.openSync(path, { createNew: true, write: true, mode: 0o600 }).close();
    Deno.chmodSync(path, 0o600);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return;
    throw fileError(path, e);
  }
}

function fileError(path: string, e: unknown): UserError {
  const why = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : e instanceof Error
    ? e.message.split("\n")[0]
    : String(e);
  return new UserError("config_invalid", `Cannot open vault "${path}": ${why}`);
}

/**
 * Opens (creating when missing, mode 0600) the vault at `options.path`. The key is read only
 * when a blob is encrypted or decrypted.
 */
export async function openVaultStore(options: VaultStoreOptions = {}): Promise<VaultStore> {
  const env = options.env ?? safeEnv;
  const path = options.path ?? defaultVaultPath(env);
  ensureFile(path);
  const { DatabaseSync } = await import("../../sinks/sqlite/node_sqlite.ts");
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: 5000 });
    db.exec(`CREATE TABLE IF NOT EXISTS vault_secrets(
      name TEXT PRIMARY KEY, codec INT, blob BLOB, source TEXT,
      created TEXT, rotated TEXT, expires TEXT)`);
  } catch (e) {
    throw fileError(path, e);
  }
  const keyOptions: VaultKeyOptions = { env };
  if (options.keyCmd !== undefined) keyOptions.keyCmd = options.keyCmd;
  const key = options.key;
  return new VaultStore(db, path, {
    key: key ? () => Promise.resolve(key) : () => loadVaultKey(keyOptions),
    env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
}

/** True when a vault file exists at `path`. */
export function vaultExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

interface Row {
  name: string;
  codec: number;
  blob: Uint8Array;
  source: string;
  created: string;
  rotated: string | null;
}

/** The vault (see the module doc). Open it with {@link openVaultStore}. */
export class VaultStore implements SecretResolver, AsyncDisposable {
  #db: DatabaseSync;
  #path: string;
  #loadKey: () => Promise<Uint8Array>;
  #codec: Promise<{ codec: ManagedAesGcmCodec; kid: string }> | null = null;
  #env: EnvReader;
  #cwd: string | undefined;

  /** Use {@link openVaultStore}. */
  constructor(
    db: DatabaseSync,
    path: string,
    options: { key: () => Promise<Uint8Array>; env: EnvReader; cwd?: string },
  ) {
    this.#db = db;
    this.#path = path;
    this.#loadKey = options.key;
    this.#env = options.env;
    this.#cwd = options.cwd;
  }

  /** The vault file. */
  get path(): string {
    return this.#path;
  }

  #codecOf(): Promise<{ codec: ManagedAesGcmCodec; kid: string }> {
    if (this.#codec === null) {
      this.#codec = this.#loadKey().then((key) => {
        const provider = new VaultKeyProvider(key);
        return { codec: new ManagedAesGcmCodec(provider), kid: provider.currentKeyId() };
      });
      this.#codec.catch(() => {
        this.#codec = null;
      });
    }
    return this.#codec;
  }

  #row(name: string): Row | undefined {
    return this.#db.prepare(
      "SELECT name, codec, blob, source, created, rotated FROM vault_secrets WHERE name = ?",
    ).get(name) as Row | undefined;
  }

  async #decrypt(row: Row): Promise<string> {
    const { codec, kid } = await this.#codecOf();
    const blob = row.blob instanceof Uint8Array ? row.blob : new Uint8Array();
    const klen = blob[0] ?? 0;
    const rowKid = new TextDecoder().decode(blob.subarray(1, 1 + klen));
    if (row.codec !== VAULT_CODEC) {
      throw this.#broken(row.name, `codec ${row.codec} is not the vault's (${VAULT_CODEC})`);
    }
    if (rowKid !== kid) {
      throw new UserError(
        "decrypt_failed",
        `Cannot open secret "${row.name}" in vault "${this.#path}": the vault key does not open this vault (it was made with key ${rowKid}, the key given is ${kid}): set ZU_VAULT_KEY to the key it was made with`,
      );
    }
    let plain: string;
    try {
      plain = codec.decodeBodySync(blob, aadOf(row.name));
    } catch {
      throw this.#broken(
        row.name,
        "its blob does not decrypt under this name (moved from another row or tampered with)",
      );
    }
    // A reference row's blob holds the reference text itself: the column must agree with it.
    if (row.source !== "value" && plain !== row.source) {
      throw this.#broken(row.name, "its source column does not match its blob (tampered with)");
    }
    return plain;
  }

  #broken(name: string, why: string): UserError {
    return new UserError(
      "decrypt_failed",
      `Cannot open secret "${name}" in vault "${this.#path}": ${why}`,
    );
  }

  /** Checks that the key opens the rows already stored (a write never mixes keys). */
  async #checkKey(): Promise<void> {
    const row = this.#db.prepare(
      "SELECT name, codec, blob, source, created, rotated FROM vault_secrets ORDER BY name LIMIT 1",
    ).get() as Row | undefined;
    if (row !== undefined) await this.#decrypt(row);
  }

  async #sealed(
    name: string,
    input: VaultSecretInput,
  ): Promise<{ blob: Uint8Array; source: string }> {
    let plain: string;
    let source: string;
    if ("value" in input) {
      if (typeof input.value !== "string" || input.value === "") {
        throw new UserError("config_invalid", `Cannot store secret "${name}": the value is empty`);
      }
      plain = input.value;
      source = "value";
    } else {
      const ref = typeof input.ref === "string" ? parseSecretRef(input.ref) : input.ref;
      plain = formatSecretRef(ref);
      source = plain;
    }
    const { codec } = await this.#codecOf();
    return { blob: codec.encodeBodySync(plain, aadOf(name)), source };
  }

  #write(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (e) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  /**
   * Checks, before a value is asked for, that `set` (a new name) or `rotate` (a stored name)
   * of `name` can succeed: the name is valid, the key opens the vault, the name is free/taken.
   */
  async checkWrite(name: string, op: "set" | "rotate"): Promise<void> {
    checkSecretName(name);
    await this.#codecOf();
    await this.#checkKey();
    const has = this.has(name);
    if (op === "set" && has) {
      throw new UserError(
        "config_invalid",
        `Cannot set secret "${name}": it is already in the vault; change it with "zu vault rotate ${name}"`,
      );
    }
    if (op === "rotate" && !has) throw this.#unknown(name, "rotate");
  }

  /** True when `name` is stored (no key needed). */
  has(name: string): boolean {
    return this.#row(name) !== undefined;
  }

  /**
   * Stores a new secret: `{ value }` or `{ ref }` (`env:`, `file:`, `cmd:`). Throws `UserError`
   * when the name is taken (use {@link VaultStore.rotate}), invalid, or the key does not open
   * the vault.
   */
  async set(name: string, input: VaultSecretInput): Promise<void> {
    await this.checkWrite(name, "set");
    const { blob, source } = await this.#sealed(name, input);
    const at = now();
    this.#write(() => {
      this.#db.prepare(
        "INSERT INTO vault_secrets(name, codec, blob, source, created, rotated, expires) VALUES (?, ?, ?, ?, ?, NULL, NULL)",
      ).run(name, VAULT_CODEC, blob, source, at);
    });
  }

  /** Replaces the value (or reference) of a stored secret and sets its `rotated` time. */
  async rotate(name: string, input: VaultSecretInput): Promise<void> {
    await this.checkWrite(name, "rotate");
    const { blob, source } = await this.#sealed(name, input);
    let changed = 0;
    this.#write(() => {
      changed = Number(
        this.#db.prepare(
          "UPDATE vault_secrets SET codec = ?, blob = ?, source = ?, rotated = ? WHERE name = ?",
        ).run(VAULT_CODEC, blob, source, now(), name).changes,
      );
    });
    if (changed === 0) throw this.#unknown(name, "rotate");
  }

  /** Removes a secret. Throws `UserError` when it is not stored or the key does not open the vault. */
  async rm(name: string): Promise<void> {
    checkSecretName(name);
    await this.#checkKey();
    let changed = 0;
    this.#write(() => {
      changed = Number(
        this.#db.prepare("DELETE FROM vault_secrets WHERE name = ?").run(name).changes,
      );
    });
    if (changed === 0) throw this.#unknown(name, "remove");
  }

  #unknown(name: string, verb: string): UserError {
    return new UserError(
      "secret_unresolved",
      `Cannot ${verb} secret "${name}": it is not in the vault "${this.#path}" (see "zu vault list")`,
    );
  }

  /** Every secret, by name: never a value (see the module doc for `sha256_prefix`). */
  async list(): Promise<VaultEntry[]> {
    const rows = this.#db.prepare(
      "SELECT name, codec, blob, source, created, rotated FROM vault_secrets ORDER BY name",
    ).all() as unknown as Row[];
    const out: VaultEntry[] = [];
    for (const row of rows) {
      const plain = await this.#decrypt(row);
      const kind = row.source === "value" ? "value" : parseSecretRef(plain).kind;
      out.push({
        name: row.name,
        source_kind: kind,
        created: row.created,
        rotated: row.rotated ?? null,
        sha256_prefix: sha256Prefix(plain),
      });
    }
    return out;
  }

  /**
   * The current value of `name`, read from the file now (a reference is resolved now). Throws
   * `UserError` (`secret_unresolved`) when it is not stored or cannot be resolved.
   */
  async resolve(name: string): Promise<string> {
    const row = this.#row(name);
    if (row === undefined) throw this.#unknown(name, "resolve");
    const plain = await this.#decrypt(row);
    if (row.source === "value") return plain;
    const options = { env: this.#env, ...(this.#cwd !== undefined ? { cwd: this.#cwd } : {}) };
    return await resolveSecretRef(parseSecretRef(plain), options);
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#db.close();
    } catch {
      // already closed
    }
  }

  /** Closes the file. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
