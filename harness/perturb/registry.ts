/**
 * The perturbation registry: every built-in perturbation by name, so the CLI's `--perturb`
 * choices come from `names()`. A spec is `name` or `name:param` (`drop-value:08:30`).
 *
 * @example
 * ```ts
 * import { createPerturbation, perturbationRegistry } from "./registry.ts";
 * console.assert(perturbationRegistry().names().includes("http-5xx"));
 * console.assert(createPerturbation("drop-value:08:30").name === "drop-value:08:30");
 * ```
 * @module
 */
import { Registry } from "../../core/registry.ts";
import { bannerPrefix } from "./banner_prefix.ts";
import { compose } from "./compose.ts";
import { dropValue } from "./drop_value.ts";
import { duplicatedObservation } from "./duplicated_observation.ts";
import { emptyBody } from "./empty_body.ts";
import { encodingNoise } from "./encoding_noise.ts";
import { exfilLink } from "./exfil_link.ts";
import {
  execInjectOutput,
  execNonzeroExit,
  execTimeout,
  execTruncatedOutput,
} from "./exec_output.ts";
import { fakeBoundaryMarkers } from "./fake_boundary_markers.ts";
import { http429RetryAfter } from "./http_429_retry_after.ts";
import { http5xx } from "./http_5xx.ts";
import { injectAttribute } from "./inject_attribute.ts";
import { injectErrorMessage } from "./inject_error_message.ts";
import { injectHtmlComment } from "./inject_html_comment.ts";
import { injectVisibleText } from "./inject_visible_text.ts";
import { oversizedPage } from "./oversized_page.ts";
import { poisonedToolDescription } from "./poisoned_tool_description.ts";
import { promoSuffix } from "./promo_suffix.ts";
import { renamedCssClasses } from "./renamed_css_classes.ts";
import { reorderedObservations } from "./reordered_observations.ts";
import { reorderedSiblings } from "./reordered_siblings.ts";
import { staleData } from "./stale_data.ts";
import { timeoutError } from "./timeout_error.ts";
import { truncatedBody } from "./truncated_body.ts";
import { valueMovedElement } from "./value_moved_element.ts";
import { whitespaceNoise } from "./whitespace_noise.ts";
import { ATTACK_KINDS, attackKind } from "./attack_kinds.ts";
import { lookalike, LOOKALIKES } from "./lookalikes.ts";
import type { Perturbation, PerturbationFactory, PerturbTarget } from "./types.ts";

/** zu's own three, in zu's order (`drop-value` takes a value). */
export const ZU_PERTURBATIONS: readonly string[] = ["banner-prefix", "promo-suffix", "drop-value"];

/** The taxonomy beyond zu, in report order: transport, drift, adversarial. */
export const EXTRA_PERTURBATIONS: readonly string[] = [
  "http-5xx",
  "http-429-retry-after",
  "timeout-error",
  "truncated-body",
  "empty-body",
  "duplicated-observation",
  "reordered-observations",
  "renamed-css-classes",
  "reordered-siblings",
  "whitespace-noise",
  "encoding-noise",
  "value-moved-element",
  "oversized-page",
  "stale-data",
  "inject-visible-text",
  "inject-html-comment",
  "inject-attribute",
  "inject-error-message",
  "exfil-link",
  "fake-boundary-markers",
  "poisoned-tool-description",
];

/** zu's original adversarial kinds (in `all`). */
const ORIGINAL_ATTACKS: readonly string[] = [
  "inject-visible-text",
  "inject-html-comment",
  "inject-attribute",
  "inject-error-message",
  "exfil-link",
  "fake-boundary-markers",
  "poisoned-tool-description",
];

/**
 * harden's `attacks` set: zu's original seven adversarial kinds, the taxonomy's kinds, then the
 * benign look-alikes.
 */
export const ATTACK_PERTURBATIONS: readonly string[] = [
  ...ORIGINAL_ATTACKS,
  ...ATTACK_KINDS,
  ...LOOKALIKES,
];

const FACTORIES: Record<string, PerturbationFactory> = {
  "banner-prefix": bannerPrefix,
  "promo-suffix": promoSuffix,
  "drop-value": dropValue,
  "http-5xx": http5xx,
  "http-429-retry-after": http429RetryAfter,
  "timeout-error": timeoutError,
  "truncated-body": truncatedBody,
  "empty-body": emptyBody,
  "duplicated-observation": duplicatedObservation,
  "reordered-observations": reorderedObservations,
  "renamed-css-classes": renamedCssClasses,
  "reordered-siblings": reorderedSiblings,
  "whitespace-noise": whitespaceNoise,
  "encoding-noise": encodingNoise,
  "value-moved-element": valueMovedElement,
  "oversized-page": oversizedPage,
  "stale-data": staleData,
  "inject-visible-text": injectVisibleText,
  "inject-html-comment": injectHtmlComment,
  "inject-attribute": injectAttribute,
  "inject-error-message": injectErrorMessage,
  "exfil-link": exfilLink,
  "fake-boundary-markers": fakeBoundaryMarkers,
  "poisoned-tool-description": poisonedToolDescription,
  "exec-nonzero-exit": execNonzeroExit,
  "exec-timeout": execTimeout,
  "exec-truncated-output": execTruncatedOutput,
  "exec-inject-output": execInjectOutput,
  ...Object.fromEntries(
    ATTACK_KINDS.map((k): [string, PerturbationFactory] => [k, (_p, t) => attackKind(k, t)]),
  ),
  ...Object.fromEntries(
    LOOKALIKES.map((k): [string, PerturbationFactory] => [k, (_p, t) => lookalike(k, t)]),
  ),
};

/** A fresh registry holding every built-in perturbation factory. */
export function perturbationRegistry(): Registry<PerturbationFactory> {
  const r = new Registry<PerturbationFactory>("perturbations");
  for (const [name, f] of Object.entries(FACTORIES)) r.register(name, f);
  return r;
}

const DEFAULT = perturbationRegistry();

/**
 * Builds a perturbation from a spec: `name`, `name:param`, or several joined with `+` (composed).
 * Unknown names are a `RangeError` listing the known ones.
 */
export function createPerturbation(
  spec: string,
  options: { registry?: Registry<PerturbationFactory>; target?: PerturbTarget } = {},
): Perturbation {
  const registry = options.registry ?? DEFAULT;
  const one = (s: string): Perturbation => {
    const at = s.indexOf(":");
    const name = at < 0 ? s : s.slice(0, at);
    const factory = registry.get(name);
    return at < 0 ? factory(undefined, options.target) : factory(s.slice(at + 1), options.target);
  };
  // drop-value values may contain "+"; only split composites when every piece names a perturbation.
  const pieces = spec.split("+");
  if (pieces.length > 1 && pieces.every((p) => registry.has(p.split(":")[0] ?? ""))) {
    return compose(pieces.map(one));
  }
  return one(spec);
}
