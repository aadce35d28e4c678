/**
 * `compose([...])`: one variant from several perturbations, applied in order, each with its own
 * seed stream. Expectation: `blocked` if any part is adversarial, else `fail` if any part must
 * fail, else `pass`.
 *
 * @example
 * ```ts
 * import { compose } from "./compose.ts";
 * import { bannerPrefix } from "./banner_prefix.ts";
 * import { whitespaceNoise } from "./whitespace_noise.ts";
 * const p = compose([bannerPrefix(), whitespaceNoise()]);
 * console.assert(p.name === "banner-prefix+whitespace-noise" && p.expect === "pass");
 * ```
 * @module
 */
import { cloneBundle } from "../bundle.ts";
import { deriveSeed, makeRng } from "./rng.ts";
import type { Expectation, Perturbation, PerturbationKind } from "./types.ts";

/** A perturbation made of parts (kept for shrinking). */
export interface ComposedPerturbation extends Perturbation {
  /** The parts, in application order. */
  readonly parts: readonly Perturbation[];
}

const KIND_RANK: PerturbationKind[] = ["cosmetic", "drift", "transport", "control", "adversarial"];

/** The expectation of a set of parts. */
export function combinedExpectation(parts: readonly Perturbation[]): Expectation {
  if (parts.some((p) => p.expect === "blocked")) return "blocked";
  if (parts.some((p) => p.expect === "fail")) return "fail";
  return "pass";
}

/** True when `p` was made by {@link compose}. */
export function isComposed(p: Perturbation): p is ComposedPerturbation {
  return Array.isArray((p as Partial<ComposedPerturbation>).parts);
}

/** Composes `parts` (at least one) into one perturbation. */
export function compose(parts: readonly Perturbation[]): ComposedPerturbation {
  if (parts.length === 0) throw new TypeError("Cannot compose perturbations: the list is empty");
  const kind = parts.map((p) => p.kind).reduce((a, b) =>
    KIND_RANK.indexOf(b) > KIND_RANK.indexOf(a) ? b : a
  );
  return {
    name: parts.map((p) => p.name).join("+"),
    kind,
    expect: combinedExpectation(parts),
    description: parts.map((p) => p.description).join("; then "),
    parts: [...parts],
    apply: (bundle, rng) => {
      let out = cloneBundle(bundle);
      for (const p of parts) out = p.apply(out, makeRng(deriveSeed(rng.seed, p.name)));
      return out;
    },
  };
}
