/**
 * Shared shape of content injections: plant an attack and insert it into the target pages
 * (default: the first observation of each tool).
 *
 * @module
 */
import type { Bundle } from "../bundle.ts";
import { type Attack, fetchRecord, makeAttack, plant } from "./attack.ts";
import { mapContent } from "./_map.ts";
import type { Rng } from "./rng.ts";
import type { ContentField, Perturbation, PerturbTarget } from "./types.ts";

/** Options of {@link injection}. */
export interface InjectionSpec {
  /** Name. */
  name: string;
  /** Report line. */
  description: string;
  /** The new content string. */
  insert: (text: string, attack: Attack, field: ContentField) => string;
  /** The carrier, for the attack record. */
  carrier: string;
  /** The planted strings a model must read (default: the instruction). */
  surfaces?: (attack: Attack) => string[];
  /** The framing, for the attack record. Default `ignore-previous`. */
  framing?: string;
}

/** A blocked-expectation perturbation inserting one attack into the target pages. */
export function injection(spec: InjectionSpec, target?: PerturbTarget): Perturbation {
  const where: PerturbTarget = target ?? { index: 0 };
  return {
    name: spec.name,
    kind: "adversarial",
    expect: "blocked",
    target: where,
    description: spec.description,
    apply: (b: Bundle, rng: Rng) => {
      const attack = makeAttack(rng);
      const record = fetchRecord(
        attack,
        spec.name,
        spec.carrier,
        spec.surfaces?.(attack),
        spec.framing,
      );
      return plant(
        mapContent(b, where, (t, p) => spec.insert(t, attack, p.field)),
        attack,
        record,
      );
    },
  };
}
