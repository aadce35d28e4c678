/**
 * The `captcha` detector: a CAPTCHA needs a person, so it escalates with `kind: "human"` (pause
 * for a human) instead of climbing a tier.
 *
 * @example
 * ```ts
 * import { CaptchaDetector } from "./captcha.ts";
 * const v = new CaptchaDetector().inspect({ observation: { html: '<div class="g-recaptcha"></div>' } } as never);
 * console.assert(v?.kind === "human");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";
import { contentStrings } from "./_content.ts";

const MARKERS: readonly string[] = [
  "g-recaptcha",
  "www.google.com/recaptcha",
  "recaptcha/api.js",
  "h-captcha",
  "hcaptcha.com",
  "cf-turnstile",
  "challenges.cloudflare.com/turnstile",
  "arkoselabs",
  "funcaptcha",
];

/** Escalates (kind "human") on a CAPTCHA widget. */
export class CaptchaDetector implements Detector {
  /** Registry name. */
  readonly name = "captcha";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";

  /** Inspects the observation's content. */
  inspect(ctx: RunContext): Verdict | null {
    const page = contentStrings(ctx.observation).join("\n").toLowerCase();
    const hit = MARKERS.find((m) => page.includes(m));
    if (hit === undefined) return null;
    return { severity: "escalate", detector: this.name, detail: `captcha "${hit}"`, kind: "human" };
  }
}
