/**
 * `inject-attribute`: an instruction in an attribute (alt/title/data-*), invisible on the page.
 * Must be blocked.
 *
 * @module
 */
import { injection } from "./_inject.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Appends `<img alt="..." title="..." data-note="...">` carrying the instruction. */
export function injectAttribute(_param?: string, target?: PerturbTarget): Perturbation {
  return injection({
    name: "inject-attribute",
    description: "an attacker instruction inside element attributes",
    carrier: "attribute",
    insert: (t, a) =>
      `${t}<img src="/pixel.gif" alt="${a.instruction}" data-note="${a.instruction}">`,
  }, target);
}
