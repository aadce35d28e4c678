/**
 * `reordered-siblings`: the page lists the same elements in another order (the container with the
 * most element children is shuffled). Must pass.
 *
 * @module
 */
import { elements, type HtmlNode, parseHtml, serializeHtml } from "./_html.ts";
import { mapContent } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";
import type { Rng } from "./rng.ts";

function shuffleSiblings(html: string, rng: Rng): string {
  const root = parseHtml(html);
  let best: HtmlNode | null = null;
  let bestCount = 1;
  for (const el of elements(root)) {
    const n = el.children.filter((c) => c.kind === "element").length;
    if (n > bestCount) {
      best = el;
      bestCount = n;
    }
  }
  if (best === null) return html;
  const slots = best.children.map((c, i) => (c.kind === "element" ? i : -1)).filter((i) => i >= 0);
  let order = rng.shuffle(slots);
  if (order.every((v, i) => v === slots[i])) order = [...slots.slice(1), slots[0]!];
  const moved = order.map((i) => best!.children[i]!);
  const kids = [...best.children];
  slots.forEach((slot, k) => (kids[slot] = moved[k]!));
  best.children = kids;
  return serializeHtml(root);
}

/** Shuffles the element children of the busiest container in every HTML string. */
export function reorderedSiblings(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "reordered-siblings",
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: "sibling elements of the busiest container appear in another order",
    apply: (b, rng) => mapContent(b, target, (t) => shuffleSiblings(t, rng)),
  };
}
