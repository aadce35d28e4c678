/**
 * The secret flags of `zu run`, `zu capture` and `zu harden` (and the vault flags `zu vault`
 * shares): `--secret NAME=REF`, `--bind ...` (both repeatable), `--vault`, `--vault-config`,
 * `--vault-key-cmd`, `--secret-violation`. A command spreads {@link SECRET_FLAGS} into its flags
 * and calls {@link secretSettingsOf} to get the run's `SecretSettings`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { VIOLATION_ACTIONS } from "../runner/vault/operator_config.ts";
import {
  type SecretSettings,
  secretSettingsFrom,
  type SecretSettingsOptions,
} from "../runner/vault/secret_settings.ts";
import { type CommandContext, type FlagDef, list, str } from "./_command.ts";

/** `--vault PATH`. */
export const VAULT_FLAG: FlagDef = {
  type: "string",
  placeholder: "path",
  description:
    "The vault file (default: $ZU_VAULT_PATH, else $XDG_CONFIG_HOME/zu/vault.db, else ~/.config/zu/vault.db)",
};

/** `--vault-key-cmd JSON-ARGV`. */
export const VAULT_KEY_CMD_FLAG: FlagDef = {
  type: "string",
  placeholder: "json-argv",
  description:
    `A command printing the vault key, as a JSON array run without a shell (e.g. '["pass","zu"]'; default: $ZU_VAULT_KEY_CMD, else the key in $ZU_VAULT_KEY)`,
};

/** Every secret flag of a run command, by name. */
export const SECRET_FLAGS: Readonly<Record<string, FlagDef>> = Object.freeze({
  secret: {
    type: "string",
    multiple: true,
    placeholder: "NAME=REF",
    description:
      'A secret for this run from a reference resolved on the host: NAME=env:VAR, NAME=file:PATH[#regex] or NAME=cmd:["prog","arg"] (never a value)',
  },
  bind: {
    type: "string",
    multiple: true,
    placeholder: "binding",
    description:
      "Where a secret may go: NAME:inject:HOSTS[:Header=template], NAME:placeholder:HOSTS[:ENVVAR] or NAME:route:URL[:ENVVAR] (see docs/secrets.md)",
  },
  vault: VAULT_FLAG,
  "vault-config": {
    type: "string",
    placeholder: "path",
    description:
      "The operator's secrets and bindings file (default: $XDG_CONFIG_HOME/zu/vault.json, else ~/.config/zu/vault.json, when present)",
  },
  "vault-key-cmd": VAULT_KEY_CMD_FLAG,
  "secret-violation": {
    type: "string",
    choices: VIOLATION_ACTIONS,
    description:
      "What a placeholder sent to a host it is not bound to does (default: the operator file's, else block-and-log)",
  },
});

function pathFlag(ctx: CommandContext, name: string): string | undefined {
  const p = str(ctx, name);
  if (p === undefined) return undefined;
  return isAbsolute(p) ? p : resolve(ctx.io.cwd, p);
}

/** The {@link secretSettingsFrom} options the flags of `ctx` give (paths resolved against cwd). */
export function secretOptionsOf(ctx: CommandContext): SecretSettingsOptions {
  const options: SecretSettingsOptions = {
    secretFlags: list(ctx, "secret"),
    bindFlags: list(ctx, "bind"),
    env: (n) => ctx.io.env(n),
    cwd: ctx.io.cwd,
  };
  const vault = pathFlag(ctx, "vault");
  if (vault !== undefined) options.vaultPath = vault;
  const config = pathFlag(ctx, "vault-config");
  if (config !== undefined) options.vaultConfigPath = config;
  const keyCmd = str(ctx, "vault-key-cmd");
  if (keyCmd !== undefined) options.vaultKeyCmd = keyCmd;
  const violation = str(ctx, "secret-violation");
  if (violation !== undefined) options.violation = violation;
  return options;
}

/**
 * The run's secret settings from the flags of `ctx` merged over the operator file. Throws a
 * `UserError` (exit 2) on any mistake; close the result when the run ends.
 */
export function secretSettingsOf(ctx: CommandContext): Promise<SecretSettings> {
  return secretSettingsFrom(secretOptionsOf(ctx));
}
