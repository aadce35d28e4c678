/**
 * Perturbations of capture bundles: zu's three plus the taxonomy of transport faults, content
 * drift and adversarial injections, a registry, and composition.
 *
 * @example
 * ```ts
 * import { createPerturbation, makeRng } from "./mod.ts";
 * const p = createPerturbation("banner-prefix");
 * const b = { task: "q", model: null, moves: [], observations: { http_fetch: [{ status: 200, html: "x" }] } };
 * const v = p.apply(b, makeRng(1));
 * console.assert(v.observations.http_fetch?.[0]?.html === "[Cookie notice — we value your privacy] x");
 * ```
 * @module
 */
export type {
  ContentField,
  Expectation,
  Perturbation,
  PerturbationFactory,
  PerturbationKind,
  PerturbTarget,
} from "./types.ts";
export { deriveSeed, makeRng } from "./rng.ts";
export type { Rng } from "./rng.ts";
export { ATTACKER_HOST } from "./attack.ts";
export { combinedExpectation, compose, isComposed } from "./compose.ts";
export type { ComposedPerturbation } from "./compose.ts";
export {
  createPerturbation,
  EXTRA_PERTURBATIONS,
  perturbationRegistry,
  ZU_PERTURBATIONS,
} from "./registry.ts";
export { BANNER_PREFIX, bannerPrefix } from "./banner_prefix.ts";
export { PROMO_SUFFIX, promoSuffix } from "./promo_suffix.ts";
export { dropValue } from "./drop_value.ts";
export { ATTACK_PERTURBATIONS } from "./registry.ts";
export { ATTACK_KINDS, attackKind, KIND_AXES } from "./attack_kinds.ts";
export type { KindAxes } from "./attack_kinds.ts";
export { lookalike, LOOKALIKES } from "./lookalikes.ts";
export { decodeAttack, encodeAttack, ENCODINGS, isEncoding } from "./encodings.ts";
export type { Encoding } from "./encodings.ts";
export { ATTACK_GOALS, goalJudge } from "./attack_record.ts";
export type { AttackGoal, AttackRecord, GoalFamily, PlannedCall } from "./attack_record.ts";
