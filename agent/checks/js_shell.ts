/**
 * The `js-shell` detector: escalates when a page is an empty client-side-rendered shell (a root,
 * app or `__NEXT_DATA__` mount point and little visible text), so a tier-2 browser can render it.
 *
 * @example
 * ```ts
 * import { JsShellDetector } from "./js_shell.ts";
 * const html = '<html><body><div id="root"></div><script src="/app.js"></script></body></html>';
 * console.assert(new JsShellDetector().inspect({ observation: { html } } as never)?.severity === "escalate");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";
import { visibleText } from "./_content.ts";

const MARKERS: readonly RegExp[] = [
  /<[^>]+\bid\s*=\s*["']?(?:root|app|__next|__nuxt|svelte)["'\s>]/i,
  /__NEXT_DATA__/,
  /\bdata-reactroot\b/i,
  /<app-root\b/i,
];

/** Options of {@link JsShellDetector}. */
export interface JsShellOptions {
  /** Visible text shorter than this counts as "little". Default 200 characters. */
  minVisibleChars?: number;
}

/** Escalates on a client-rendered shell page. */
export class JsShellDetector implements Detector {
  /** Registry name. */
  readonly name = "js-shell";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";
  #min: number;

  /** Creates the detector. */
  constructor(options: JsShellOptions = {}) {
    this.#min = options.minVisibleChars ?? 200;
  }

  /** Inspects `ctx.observation.html`. */
  inspect(ctx: RunContext): Verdict | null {
    const html = ctx.observation?.html;
    if (typeof html !== "string" || html === "") return null;
    if (!MARKERS.some((m) => m.test(html))) return null;
    const text = visibleText(html);
    if (text.length >= this.#min) return null;
    return {
      severity: "escalate",
      detector: this.name,
      detail: `javascript shell page (${text.length} visible chars)`,
    };
  }
}
