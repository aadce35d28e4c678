/**
 * The clearance flag of the run commands: `--clearance-hold SECONDS|off` (default: 25 s, or
 * `$ZU_CLEARANCE_HOLD`). A command spreads {@link CLEARANCE_FLAGS} into its flags and calls
 * {@link clearanceHoldOf} for the hold the run's desk gets (docs/clearance.md).
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { type CommandContext, type FlagDef, str } from "./_command.ts";

/** Longest hold accepted, in seconds (the desk's limit). */
export const MAX_HOLD_SECONDS = 120;

/** The clearance flags of a run command. */
export const CLEARANCE_FLAGS: Readonly<Record<string, FlagDef>> = Object.freeze({
  "clearance-hold": {
    type: "string",
    placeholder: "seconds|off",
    description:
      `How long a request to an undeclared host waits for an operator's verdict (zu pending, zu clear) before it is refused: 0..${MAX_HOLD_SECONDS} seconds, or off to refuse at once (default: $ZU_CLEARANCE_HOLD, else 25)`,
  },
});

/** Parses a hold given in seconds (or `off`) into milliseconds (or `"off"`). */
export function parseHold(text: string, from: string): number | "off" {
  const t = text.trim().toLowerCase();
  if (t === "off" || t === "0") return "off";
  const n = Number(t);
  if (t === "" || !Number.isFinite(n) || n < 0 || n > MAX_HOLD_SECONDS) {
    throw new UserError(
      "usage",
      `${from} "${text}" is not a number of seconds from 0 to ${MAX_HOLD_SECONDS} or "off"; e.g. --clearance-hold 25`,
    );
  }
  return Math.round(n * 1000);
}

/** The hold a run started with `ctx` gets: the flag, else `$ZU_CLEARANCE_HOLD`, else 25 s. */
export function clearanceHoldOf(ctx: CommandContext): number | "off" {
  const flag = str(ctx, "clearance-hold");
  if (flag !== undefined) return parseHold(flag, "--clearance-hold");
  const env = ctx.io.env("ZU_CLEARANCE_HOLD");
  if (env !== undefined && env !== "") return parseHold(env, "ZU_CLEARANCE_HOLD");
  return 25_000;
}
