/**
 * `html_parse`: CSS selectors over real HTML, parsed with `linkedom` (a spec-minded DOM for
 * servers, no browser, no network). Pure: no capabilities, no egress.
 *
 * @example
 * ```ts
 * import { HtmlParse } from "./html_parse.ts";
 * const obs = await new HtmlParse().call({} as never, {
 *   html: "<ul><li class=p>4,20 €</li><li class=p>3,10 €</li></ul>",
 *   selector: "li.p",
 * });
 * console.assert(obs.count === 2 && (obs.matches as string[])[0] === "4,20 €");
 * ```
 * @module
 */
import { DOMParser } from "linkedom";
import type { RunContext, Tool } from "../../core/types.ts";

/** Options of {@link HtmlParse}. */
export interface HtmlParseOptions {
  /** Refuse HTML longer than this many UTF-8 bytes. Default 5,000,000. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 5_000_000;

/** Minimal view of the linkedom element API used here. */
interface Matched {
  textContent: string | null;
}

/**
 * The `html_parse` tool: tier 1, no capabilities, no egress. Observation
 * `{selector, matches, count}`, where `matches` holds each matching element's text with
 * whitespace collapsed, in document order. HTML over 5 MB gives the observation
 * `{error, blocked: "oversized_html"}`; a malformed selector throws `SyntaxError`.
 *
 * @example
 * ```ts
 * import { HtmlParse } from "./html_parse.ts";
 * const obs = await new HtmlParse().call({} as never, { html: "<p>a</p><p>b</p>", selector: "p:last-child" });
 * console.assert(obs.count === 1);
 * ```
 */
export class HtmlParse implements Tool {
  /** Registry name. */
  readonly name = "html_parse";
  /** Cheap tier. */
  tier = 1;
  /** Pure: none. */
  readonly capabilities: ReadonlySet<string> = new Set();
  /** Pure: none. */
  readonly egress: ReadonlySet<string> = new Set();
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "html_parse",
    description: "Select elements from HTML with a CSS selector and return their text.",
    parameters: {
      type: "object",
      properties: {
        html: { type: "string", description: "The HTML to search." },
        selector: { type: "string", description: 'A CSS selector, e.g. "span.price".' },
      },
      required: ["html", "selector"],
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "html_parse(html, selector): CSS-select elements in HTML; returns {selector, matches[], count}.";

  #maxBytes: number;

  /** Creates the tool; see {@link HtmlParseOptions} for defaults. */
  constructor(options: HtmlParseOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.#maxBytes > 0)) throw new RangeError(`Invalid maxBytes "${this.#maxBytes}"`);
  }

  /** Selects `args.selector` in `args.html`. */
  call(_ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const html = args["html"];
    const selector = args["selector"];
    if (typeof html !== "string") {
      return Promise.reject(new TypeError(`Cannot parse HTML: argument "html" must be a string`));
    }
    if (typeof selector !== "string" || selector.trim() === "") {
      return Promise.reject(
        new TypeError(`Cannot parse HTML: argument "selector" must be a non-empty string`),
      );
    }
    // UTF-8 length without encoding the whole string: a string's UTF-8 size is at most 3x its
    // UTF-16 length and at least its length.
    const size = html.length * 3 <= this.#maxBytes
      ? html.length
      : new TextEncoder().encode(html).byteLength;
    if (size > this.#maxBytes) {
      return Promise.resolve({
        error: `Cannot parse HTML: ${size} bytes is over the ${this.#maxBytes}-byte limit`,
        blocked: "oversized_html",
      });
    }
    const document = new DOMParser().parseFromString(html, "text/html");
    let found: Iterable<Matched>;
    try {
      found = document.querySelectorAll(selector) as unknown as Iterable<Matched>;
    } catch (e) {
      return Promise.reject(
        new SyntaxError(`Cannot parse HTML: selector "${selector}" is invalid (${String(e)})`),
      );
    }
    const matches = [...found].map((el) => (el.textContent ?? "").replace(/\s+/g, " ").trim());
    return Promise.resolve({ selector, matches, count: matches.length });
  }
}
