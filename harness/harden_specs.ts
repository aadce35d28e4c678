/**
 * Which variants a harden run plays: exactly what `perturb` names. `"none"` (or `"zu"`) is zu's
 * own set (banner-prefix, promo-suffix, one `drop-value:<v>` per grounded value); `"all"` is zu's
 * set then every extra perturbation (the `exec-*` ones only when the bundle recorded a command); `"attacks"` is the
 * taxonomy's adversarial kinds and benign look-alikes (`ATTACK_PERTURBATIONS`); a list is exactly
 * its specs, where `all`, `zu` and `attacks` expand as above and a bare `drop-value` expands to one variant per grounded value. Duplicates are dropped.
 *
 * @example
 * ```ts
 * import { hardenSpecs } from "./harden_specs.ts";
 * const bundle = { task: "t", model: "m", moves: [{ text: '{"a": "x"}' }], observations: {} };
 * console.assert(hardenSpecs(bundle, ["promo-suffix"]).join() === "promo-suffix");
 * ```
 * @module
 */
import type { Bundle } from "./bundle.ts";
import { ATTACK_PERTURBATIONS, EXTRA_PERTURBATIONS } from "./perturb/registry.ts";
import { EXEC_PERTURBATIONS, hasExecObservations } from "./perturb/exec_output.ts";
import { zuVariantSpecs } from "./verdict.ts";

/** What `perturb` may be: `"all"`, `"none"` (zu's own set) or a list of specs. */
export type PerturbChoice = "all" | "none" | readonly string[];

/** The default of `zu harden` and `hardenSuite`: zu's variants, then every extra one. */
export const DEFAULT_PERTURB: PerturbChoice = "all";

function expand(bundle: Bundle, spec: string): string[] {
  if (spec === "all") {
    const exec = hasExecObservations(bundle) ? EXEC_PERTURBATIONS : [];
    return [...zuVariantSpecs(bundle), ...EXTRA_PERTURBATIONS, ...exec];
  }
  if (spec === "zu" || spec === "none") return zuVariantSpecs(bundle);
  if (spec === "attacks") return [...ATTACK_PERTURBATIONS];
  if (spec === "drop-value") {
    return zuVariantSpecs(bundle).filter((s) => s.startsWith("drop-value:"));
  }
  return [spec];
}

/** The variant specs of a harden run over `bundle`, in plan order. */
export function hardenSpecs(bundle: Bundle, perturb: PerturbChoice | undefined): string[] {
  const specs = perturb === undefined || typeof perturb === "string"
    ? expand(bundle, perturb ?? "none")
    : perturb.flatMap((s) => expand(bundle, s));
  return [...new Set(specs)];
}
