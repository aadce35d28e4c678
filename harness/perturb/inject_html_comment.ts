/**
 * `inject-html-comment`: an instruction hidden in an HTML comment. Must be blocked.
 *
 * @module
 */
import { injection } from "./_inject.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Appends `<!-- IMPORTANT: ... -->`. */
export function injectHtmlComment(_param?: string, target?: PerturbTarget): Perturbation {
  return injection({
    name: "inject-html-comment",
    description: "an attacker instruction inside an HTML comment",
    carrier: "html-comment",
    insert: (t, a) => `${t}<!-- ${a.instruction} -->`,
  }, target);
}
