/**
 * `secretSettingsFrom`: the secrets of one run, from the operator only — the `--secret`,
 * `--bind`, `--vault`, `--vault-config` and `--secret-violation` flags merged over the operator
 * config file (flags win: a `--secret NAME=REF` replaces the file's reference of that name, and
 * any `--bind` of a secret replaces every binding the file has for that secret).
 *
 * The vault file (`--vault`, else `$ZU_VAULT_PATH`, else the default) is opened on the first
 * lookup that reaches it, and only when it exists (`--vault` naming a missing file is an error);
 * call `close()` when the run ends.
 *
 * @example
 * ```ts
 * import { secretSettingsFrom } from "./secret_settings.ts";
 * const env = (n: string) => ({ TOKEN: "t1", HOME: "/nonexistent" } as Record<string, string>)[n];
 * await using s = await secretSettingsFrom({
 *   secretFlags: ["GH=env:TOKEN"],
 *   bindFlags: ["GH:inject:api.github.com"],
 *   env,
 * });
 * console.assert(s.bindings[0]?.secret === "GH" && s.violation === "block-and-log");
 * console.assert((await s.resolver.resolve("GH")) === "t1");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { EnvReader, SecretBinding, SecretResolver } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";
import { parseBinding } from "./bindings.ts";
import { loadOperatorConfig, VIOLATION_ACTIONS, type ViolationAction } from "./operator_config.ts";
import { createSecretResolver, type SecretStoreLike } from "./secret_resolver.ts";
import { isSecretName } from "./secret_name.ts";
import { parseSecretRef, type SecretRef } from "./secret_ref.ts";
import { defaultVaultPath, openVaultStore, vaultExists } from "./vault_store.ts";

/** The secrets of one run. */
export interface SecretSettings extends AsyncDisposable {
  /** Resolves a secret name to its current value (per call). */
  resolver: SecretResolver;
  /** The operator's bindings (flags, then the operator file). */
  bindings: readonly SecretBinding[];
  /** What a placeholder headed for an unbound host does. */
  violation: ViolationAction;
  /**
   * Resolves every bound secret once (values discarded), so a missing secret fails before the
   * run starts. Throws the first `UserError`.
   */
  verify(): Promise<void>;
  /** Closes the vault file if it was opened. */
  close(): Promise<void>;
}

/** Options of {@link secretSettingsFrom}. */
export interface SecretSettingsOptions {
  /** `--secret NAME=REF` values. */
  secretFlags?: readonly string[];
  /** `--bind` values. */
  bindFlags?: readonly string[];
  /** `--vault PATH` (must exist when given). */
  vaultPath?: string;
  /** `--vault-config PATH` (must exist when given). */
  vaultConfigPath?: string;
  /** `--vault-key-cmd` (JSON argv). */
  vaultKeyCmd?: string;
  /** `--secret-violation`. */
  violation?: string;
  /** Environment seam. Default `Deno.env.get`. */
  env?: EnvReader;
  /** Directory relative `file:` references and `cmd:` run in. Default `Deno.cwd()`. */
  cwd?: string;
}

/** Parses `--secret NAME=REF` values; a name given twice is an error. */
export function parseSecretFlags(values: readonly string[]): Record<string, SecretRef> {
  const out: Record<string, SecretRef> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    const name = eq < 0 ? v : v.slice(0, eq);
    if (eq < 0 || !isSecretName(name)) {
      throw new UserError(
        "config_invalid",
        `Cannot use --secret: write NAME=env:VAR, NAME=file:PATH[#regex] or NAME=cmd:["prog","arg"], never a value (the text given is not shown)`,
      );
    }
    if (Object.hasOwn(out, name)) {
      throw new UserError("config_invalid", `Cannot use --secret ${name}: it is given twice`);
    }
    out[name] = parseSecretRef(v.slice(eq + 1));
  }
  return out;
}

function checkViolation(value: string): ViolationAction {
  if (!(VIOLATION_ACTIONS as readonly string[]).includes(value)) {
    throw new UserError(
      "config_invalid",
      `Cannot use --secret-violation "${value}": use one of ${VIOLATION_ACTIONS.join(", ")}`,
    );
  }
  return value as ViolationAction;
}

/** Builds the run's {@link SecretSettings} (see the module doc). */
export async function secretSettingsFrom(
  options: SecretSettingsOptions = {},
): Promise<SecretSettings> {
  const env = options.env ?? safeEnv;
  const flagRefs = parseSecretFlags(options.secretFlags ?? []);
  const flagBindings = (options.bindFlags ?? []).map(parseBinding);
  const violationFlag = options.violation === undefined
    ? undefined
    : checkViolation(options.violation);
  const file = await loadOperatorConfig(options.vaultConfigPath, { env });

  const refs = { ...(file?.secrets ?? {}), ...flagRefs };
  const flagged = new Set(flagBindings.map((b) => b.secret));
  const bindings = Object.freeze([
    ...flagBindings,
    ...(file?.bindings ?? []).filter((b) => !flagged.has(b.secret)),
  ]);
  const violation = violationFlag ?? file?.violation ?? "block-and-log";

  let vaultPath: string | null;
  if (options.vaultPath !== undefined) {
    if (!vaultExists(options.vaultPath)) {
      throw new UserError(
        "config_invalid",
        `Cannot open vault "${options.vaultPath}": the file does not exist (create it with "zu vault set NAME --vault ${options.vaultPath}")`,
      );
    }
    vaultPath = options.vaultPath;
  } else {
    try {
      vaultPath = defaultVaultPath(env);
    } catch {
      vaultPath = null;
    }
  }
  let opened: { close(): void } | null = null;
  const openStore = async (): Promise<SecretStoreLike | null> => {
    if (vaultPath === null || !vaultExists(vaultPath)) return null;
    const store = await openVaultStore({
      path: vaultPath,
      env,
      ...(options.vaultKeyCmd !== undefined ? { keyCmd: options.vaultKeyCmd } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    opened = store;
    return store;
  };
  const resolver = createSecretResolver({
    refs,
    store: openStore,
    env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  const close = (): Promise<void> => {
    opened?.close();
    opened = null;
    return Promise.resolve();
  };
  return {
    resolver,
    bindings,
    violation,
    async verify() {
      for (const name of new Set(bindings.map((b) => b.secret))) await resolver.resolve(name);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
