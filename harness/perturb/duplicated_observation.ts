/**
 * `duplicated-observation`: a response delivered twice (default: the last one of each tool). The
 * run must still pass and the extra copy shows up as an unused recorded observation.
 *
 * @module
 */
import { cloneBundle, deepCopy } from "../bundle.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Inserts a copy of the target observation (default index -1) right after it. */
export function duplicatedObservation(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "duplicated-observation",
    kind: "transport",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "one recorded response is delivered twice (default: the last)",
    apply: (b) => {
      const out = cloneBundle(b);
      for (const [tool, list] of Object.entries(out.observations)) {
        if (target?.tool !== undefined && target.tool !== tool) continue;
        if (list.length === 0) continue;
        const raw = target?.index ?? -1;
        const i = raw < 0 ? list.length + raw : raw;
        const obs = list[i];
        if (obs === undefined) continue;
        list.splice(i + 1, 0, deepCopy(obs));
      }
      return out;
    },
  };
}
