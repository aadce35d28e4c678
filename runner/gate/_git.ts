/**
 * Runs `git` for the gate with hooks off and no system config; the one place the gate's git
 * hardening settings are written.
 *
 * @module
 */
import { RunFailure } from "../../core/errors.ts";

/** Settings every git the gate runs gets, as `-c`-level config (beats any repository config). */
export const HARDENED_CONFIG: ReadonlyArray<readonly [string, string]> = Object.freeze([
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.sshCommand", "false"],
  ["transfer.fsckObjects", "true"],
  ["receive.fsckObjects", "true"],
  ["fetch.fsckObjects", "true"],
  ["submodule.recurse", "false"],
  ["fetch.recurseSubmodules", "false"],
  ["protocol.ext.allow", "never"],
]);

/** `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n` for `pairs`. */
export function configEnv(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** The result of one git call. */
export interface GitResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/**
 * Runs `git args` with the hardened config. The operator's global config (and so their
 * credential helpers) stays visible: this is for the host-side commands (add, fetch, forward).
 */
export async function runGit(
  args: string[],
  options: { cwd?: string; extraConfig?: ReadonlyArray<readonly [string, string]> } = {},
): Promise<GitResult> {
  const env = {
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    ...configEnv([...HARDENED_CONFIG, ...(options.extraConfig ?? [])]),
  };
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("git", {
      args,
      env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RunFailure("gate_git_failed", 'Cannot run "git": it is not installed on the host');
    }
    throw e;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Like {@link runGit}, but a non-zero exit is a `RunFailure` naming `what`. */
export async function mustGit(
  what: string,
  args: string[],
  options: { cwd?: string; extraConfig?: ReadonlyArray<readonly [string, string]> } = {},
): Promise<string> {
  const r = await runGit(args, options);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n").filter((l) => l !== "").pop() ?? `exit ${r.code}`;
    throw new RunFailure("gate_git_failed", `Cannot ${what}: git says "${why}"`);
  }
  return r.stdout;
}
