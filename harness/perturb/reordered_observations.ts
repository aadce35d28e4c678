/**
 * `reordered-observations`: a tool's responses arrive in another order (a seeded, non-identity
 * permutation). Grounding reads the union, so the run should pass; an agent that binds content to
 * position breaks.
 *
 * @module
 */
import { cloneBundle } from "../bundle.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Permutes each tool's observations (rotation when the shuffle is the identity). */
export function reorderedObservations(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "reordered-observations",
    kind: "transport",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "recorded responses are delivered in a different order",
    apply: (b, rng) => {
      const out = cloneBundle(b);
      for (const [tool, list] of Object.entries(out.observations)) {
        if (target?.tool !== undefined && target.tool !== tool) continue;
        if (list.length < 2) continue;
        let order = rng.shuffle(list.map((_, i) => i));
        if (order.every((v, i) => v === i)) order = order.map((_, i) => (i + 1) % list.length);
        out.observations[tool] = order.map((i) => list[i]!);
      }
      return out;
    },
  };
}
