/**
 * Where the operator's git gate keeps its mirrors: `$ZU_GATE_DIR`, else
 * `$XDG_STATE_HOME/zu/gate`, else `~/.local/state/zu/gate`.
 *
 * @example
 * ```ts
 * import { defaultGateDir } from "./gate_dir.ts";
 * console.assert(defaultGateDir((n) => n === "ZU_GATE_DIR" ? "/srv/gate" : undefined) === "/srv/gate");
 * ```
 * @module
 */
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";

/** The gate directory for an environment. */
export function defaultGateDir(env: (name: string) => string | undefined): string {
  const explicit = env("ZU_GATE_DIR");
  if (explicit) return explicit;
  const state = env("XDG_STATE_HOME");
  if (state) return join(state, "zu", "gate");
  const home = env("HOME");
  if (!home) {
    throw new UserError(
      "config_invalid",
      "Cannot find the git gate directory: set ZU_GATE_DIR, XDG_STATE_HOME or HOME",
    );
  }
  return join(home, ".local", "state", "zu", "gate");
}
