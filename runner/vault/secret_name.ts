/**
 * Secret names: `[A-Za-z_][A-Za-z0-9_]{0,63}` (an environment-variable-like name, at most 64
 * characters), shared by the vault, the bindings and `--secret NAME=REF`.
 *
 * @example
 * ```ts
 * import { checkSecretName, isSecretName } from "./secret_name.ts";
 * console.assert(isSecretName("GH_TOKEN") && !isSecretName("9x"));
 * console.assert(checkSecretName("OPENAI") === "OPENAI");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** The grammar of a secret name. */
export const SECRET_NAME_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** True when `name` is a valid secret name. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/** Returns `name`, or throws `UserError` (code `config_invalid`) when it is not a valid name. */
export function checkSecretName(name: string): string {
  if (!isSecretName(name)) {
    const shown = name.length > 70 ? `${name.slice(0, 70)}…` : name;
    throw new UserError(
      "config_invalid",
      `Cannot use secret name "${shown}": a name is a letter or "_" then up to 63 letters, digits or "_"`,
    );
  }
  return name;
}
