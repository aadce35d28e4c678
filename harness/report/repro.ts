/**
 * The repro command of one variant: a `zu harden` command line that runs exactly that variant with
 * the same model mode, seed and bundle, quoted for a POSIX shell.
 *
 * @example
 * ```ts
 * import { reproCommand } from "./repro.ts";
 * const cmd = reproCommand({ agent_dir: "/a/my agent", mode: "script", seed: 0 }, "drop-value:x");
 * console.assert(cmd === "zu harden '/a/my agent' --model script --perturb drop-value:x --seed 0");
 * ```
 * @module
 */
import type { HardenReport } from "../harden.ts";

/** Quotes `s` for a POSIX shell when it holds anything but plainly safe characters. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+@%,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The command that replays variant `name` of `report` alone (it runs as printed). */
export function reproCommand(
  report: Pick<HardenReport, "agent_dir" | "mode" | "seed" | "bundle_path">,
  name: string,
): string {
  const bundle = report.bundle_path ? ` --bundle ${shellQuote(report.bundle_path)}` : "";
  return `zu harden ${shellQuote(report.agent_dir)} --model ${report.mode} --perturb ${
    shellQuote(name)
  } --seed ${report.seed}${bundle}`;
}

/** The repro command plus a shell comment naming the variant seed and bundle hash. */
export function reproLine(report: HardenReport, name: string, seed: number): string {
  return `${reproCommand(report, name)}  # variant seed ${seed}, bundle ${report.bundle_hash}`;
}
