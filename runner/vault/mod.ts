/**
 * The credential vault and the operator's secret settings (issue #12): secrets kept encrypted
 * in a `node:sqlite` file on the host ({@link VaultStore}), references resolved on the host when
 * needed (`env:`, `file:`, `cmd:`), the operator's bindings (`--bind`, the operator config
 * file; never agent.yaml) and the resolver a run uses. SQLite is loaded only when a vault is
 * opened.
 *
 * @example
 * ```ts
 * import { parseBinding, secretSettingsFrom } from "./mod.ts";
 * const b = parseBinding("GH:inject:api.github.com");
 * console.assert(b.headers?.[0] === "Authorization: Bearer {{secret:GH}}");
 * await using s = await secretSettingsFrom({ bindFlags: ["GH:inject:api.github.com"], env: () => undefined });
 * console.assert(s.bindings.length === 1);
 * ```
 * @module
 */
export {
  CMD_TIMEOUT_MS,
  describeSecretRef,
  formatSecretRef,
  looksLikeSecretRef,
  MAX_REF_BYTES,
  parseSecretRef,
  resolveSecretRef,
  SECRET_REF_KINDS,
} from "./secret_ref.ts";
export type { ResolveSecretRefOptions, SecretRef } from "./secret_ref.ts";
export { checkSecretName, isSecretName, SECRET_NAME_PATTERN } from "./secret_name.ts";
export {
  loadVaultKey,
  VAULT_KEY_CMD_ENV,
  VAULT_KEY_ENV,
  vaultKeyId,
  VaultKeyProvider,
} from "./vault_key.ts";
export type { VaultKeyOptions } from "./vault_key.ts";
export {
  configDir,
  defaultVaultPath,
  openVaultStore,
  VAULT_AAD_PREFIX,
  VAULT_CODEC,
  vaultExists,
  VaultStore,
} from "./vault_store.ts";
export type { VaultEntry, VaultSecretInput, VaultStoreOptions } from "./vault_store.ts";
export { checkBinding, FORBIDDEN_HEADERS, parseBinding, SECRET_MODES } from "./bindings.ts";
export type { BindingInput } from "./bindings.ts";
export {
  defaultOperatorConfigPath,
  loadOperatorConfig,
  parseOperatorConfig,
  VIOLATION_ACTIONS,
} from "./operator_config.ts";
export type { OperatorConfig, ViolationAction } from "./operator_config.ts";
export { createSecretResolver, unknownSecretError } from "./secret_resolver.ts";
export type { SecretResolverOptions, SecretStoreLike } from "./secret_resolver.ts";
export { parseSecretFlags, secretSettingsFrom } from "./secret_settings.ts";
export type { SecretSettings, SecretSettingsOptions } from "./secret_settings.ts";
export type {
  EnvReader,
  KeyProvider,
  SecretBinding,
  SecretMode,
  SecretResolver,
} from "../../core/types.ts";
