/**
 * `value-moved-element`: a grounded value moves to another element at the end of the page (a
 * layout change). Must pass: the value is still there.
 *
 * @module
 */
import { groundedValues } from "../grounded.ts";
import { cloneBundle } from "../bundle.ts";
import { CONTENT_FIELDS } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Moves the first occurrence of the first grounded value found into a trailing element. */
export function valueMovedElement(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "value-moved-element",
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "a grounded value moves to a new element at the end of the page",
    apply: (b) => {
      const out = cloneBundle(b);
      const values = groundedValues(b);
      for (const [tool, list] of Object.entries(out.observations)) {
        if (target?.tool !== undefined && target.tool !== tool) continue;
        for (const obs of list) {
          for (const f of CONTENT_FIELDS) {
            const t = obs[f];
            if (typeof t !== "string") continue;
            const v = values.find((x) => t.includes(x));
            if (v === undefined) continue;
            const at = t.indexOf(v);
            const rest = t.slice(0, at) + t.slice(at + v.length);
            obs[f] = f === "html" ? `${rest}<div class="moved-value">${v}</div>` : `${rest}\n${v}`;
            return out;
          }
        }
      }
      return out;
    },
  };
}
