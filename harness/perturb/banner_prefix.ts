/**
 * zu's `banner-prefix`: a cookie-notice line before every page. Must pass.
 *
 * @module
 */
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** zu's exact banner text. */
export const BANNER_PREFIX = "[Cookie notice — we value your privacy] ";

/** `"[Cookie notice — we value your privacy] " + t` on every content string. */
export function bannerPrefix(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "banner-prefix",
    kind: "cosmetic",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "a cookie-notice banner before the page content (zu)",
    apply: (b) => mapContent(b, target, (t) => BANNER_PREFIX + t),
  };
}
