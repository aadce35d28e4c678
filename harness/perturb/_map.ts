/**
 * Shared helpers for perturbations: copy a bundle and rewrite selected observations or their
 * content strings.
 *
 * @module
 */
import { type Bundle, cloneBundle, type Observation } from "../bundle.ts";
import type { ContentField, PerturbTarget } from "./types.ts";

/** zu's content fields, in zu's order. */
export const CONTENT_FIELDS: readonly ContentField[] = ["text", "html", "content"];

/** Where an observation sits. */
export interface ObsPlace {
  /** Tool name. */
  tool: string;
  /** Index in that tool's list. */
  index: number;
}

function selected(
  target: PerturbTarget | undefined,
  tool: string,
  index: number,
  n: number,
): boolean {
  if (target?.tool !== undefined && target.tool !== tool) return false;
  if (target?.index !== undefined) {
    const want = target.index < 0 ? n + target.index : target.index;
    if (want !== index) return false;
  }
  return true;
}

/** A copy of `bundle` with `fn` applied to each selected observation (return the new one). */
export function mapObservations(
  bundle: Bundle,
  target: PerturbTarget | undefined,
  fn: (obs: Observation, place: ObsPlace) => Observation,
): Bundle {
  const out = cloneBundle(bundle);
  for (const [tool, list] of Object.entries(out.observations)) {
    out.observations[tool] = list.map((o, index) =>
      selected(target, tool, index, list.length) ? fn(o, { tool, index }) : o
    );
  }
  return out;
}

/**
 * A copy of `bundle` with `fn` applied to every string value of `text`, `html` and `content` in
 * every selected observation (zu's `_map_observations`).
 */
export function mapContent(
  bundle: Bundle,
  target: PerturbTarget | undefined,
  fn: (text: string, place: ObsPlace & { field: ContentField }) => string,
): Bundle {
  return mapObservations(bundle, target, (obs, place) => {
    for (const field of CONTENT_FIELDS) {
      if (target?.field !== undefined && target.field !== field) continue;
      const v = obs[field];
      if (typeof v === "string") obs[field] = fn(v, { ...place, field });
    }
    return obs;
  });
}

/** Adds names to the overlay's perturbation list (on a copy the caller already owns). */
export function stamp(bundle: Bundle, name: string): Bundle {
  bundle.overlay = {
    ...bundle.overlay,
    perturbations: [...(bundle.overlay?.perturbations ?? []), name],
  };
  return bundle;
}

/** True when the string looks like HTML (has a tag). */
export function looksLikeHtml(s: string): boolean {
  return /<[a-zA-Z!/][^>]*>/.test(s);
}
