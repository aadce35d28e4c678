/**
 * What a perturbation is: a named, seeded, pure transform of a capture bundle with a target
 * selector and an expectation about how the agent must fare on the result.
 *
 * @module
 */
import type { Bundle } from "../bundle.ts";
import type { Rng } from "./rng.ts";

/** How the run on a variant must end: succeed, fail, or have the attack blocked. */
export type Expectation = "pass" | "fail" | "blocked";

/** The family a perturbation belongs to (used in reports). */
export type PerturbationKind = "cosmetic" | "control" | "transport" | "drift" | "adversarial";

/** The content fields zu perturbs. */
export type ContentField = "text" | "html" | "content";

/** Which observations (and fields) a perturbation touches; omitted parts mean "all". */
export interface PerturbTarget {
  /** Only this tool's observations. */
  tool?: string;
  /** Only the observation at this index (per tool; negative counts from the end). */
  index?: number;
  /** Only this content field. */
  field?: ContentField;
}

/** A perturbation. `apply` must not mutate its input. */
export interface Perturbation {
  /** Unique name (`drop-value:<v>` carries its parameter). */
  readonly name: string;
  /** The family. */
  readonly kind: PerturbationKind;
  /** What a robust agent's run on the variant does. */
  readonly expect: Expectation;
  /** The selector; absent means every observation. */
  readonly target?: PerturbTarget;
  /** One line for reports. */
  readonly description: string;
  /** Returns the perturbed copy. Pure: same bundle and seed give the same result. */
  apply(bundle: Bundle, rng: Rng): Bundle;
}

/** Builds a perturbation; `param` is the text after the first `:` of a spec (`drop-value:08:30`). */
export type PerturbationFactory = (param?: string, target?: PerturbTarget) => Perturbation;
