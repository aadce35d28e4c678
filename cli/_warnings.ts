/**
 * Warnings a command met while loading an agent (unknown agent.yaml keys, a secret in the file):
 * each is printed once to stderr as `warning: ...` when noted, and `printJson` carries them as a
 * `warnings` array in the `--json` object of the command that loaded the agent.
 *
 * @module
 */
import type { CliIo } from "./_io.ts";

const noted = new WeakMap<CliIo, string[]>();

/** Prints each of `warnings` not yet printed through `io`, and records it for `--json`. */
export function noteWarnings(io: CliIo, warnings: readonly string[]): void {
  const seen = noted.get(io) ?? [];
  noted.set(io, seen);
  for (const w of warnings) {
    if (seen.includes(w)) continue;
    seen.push(w);
    io.stderr(`warning: ${w.replace(/\s*\n\s*/g, " ").trim()}\n`);
  }
}

/** The warnings noted through `io`, or undefined when the command loaded no agent. */
export function warningsOf(io: CliIo): readonly string[] | undefined {
  return noted.get(io);
}
