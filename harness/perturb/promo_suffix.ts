/**
 * zu's `promo-suffix`: a promotional line after every page. Must pass.
 *
 * @module
 */
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** zu's exact promo text. */
export const PROMO_SUFFIX = " — Limited-time offer, shop now!";

/** `t + " — Limited-time offer, shop now!"` on every content string. */
export function promoSuffix(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "promo-suffix",
    kind: "cosmetic",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "a promotional line after the page content (zu)",
    apply: (b) => mapContent(b, target, (t) => t + PROMO_SUFFIX),
  };
}
