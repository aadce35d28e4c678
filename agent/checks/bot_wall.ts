/**
 * The `bot-wall` detector: escalates on an anti-bot interstitial, on a strong marker, or on a
 * weak marker together with a Cloudflare fingerprint.
 *
 * @example
 * ```ts
 * import { BotWallDetector } from "./bot_wall.ts";
 * const html = "<title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x.js'></script>";
 * console.assert(new BotWallDetector().inspect({ observation: { html } } as never)?.severity === "escalate");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";
import { contentStrings } from "./_content.ts";

const STRONG: readonly string[] = [
  "cf-browser-verification",
  "cf_chl_opt",
  "__cf_chl_",
  "attention required! | cloudflare",
  "checking your browser before accessing",
  "_incapsula_resource",
  "px-captcha",
  "pardon our interruption",
  "datadome",
];
const WEAK: readonly string[] = [
  "just a moment",
  "access denied",
  "please enable javascript",
  "enable javascript and cookies",
  "verify you are human",
  "are you a robot",
  "unusual traffic",
];
const CLOUDFLARE: readonly string[] = ["cloudflare", "cf-ray", "/cdn-cgi/", "__cf_bm"];

/** Escalates on a bot wall. */
export class BotWallDetector implements Detector {
  /** Registry name. */
  readonly name = "bot-wall";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";

  /** Inspects the observation's content. */
  inspect(ctx: RunContext): Verdict | null {
    const page = contentStrings(ctx.observation).join("\n").toLowerCase();
    if (page === "") return null;
    const strong = STRONG.find((m) => page.includes(m));
    if (strong !== undefined) {
      return { severity: "escalate", detector: this.name, detail: `bot wall marker "${strong}"` };
    }
    const weak = WEAK.find((m) => page.includes(m));
    if (weak !== undefined && CLOUDFLARE.some((m) => page.includes(m))) {
      return {
        severity: "escalate",
        detector: this.name,
        detail: `bot wall marker "${weak}" with a Cloudflare fingerprint`,
      };
    }
    return null;
  }
}
