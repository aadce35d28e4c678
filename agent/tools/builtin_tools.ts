/**
 * The built-in tool factories by registry name. Factories take the plain-data arguments of an
 * agent configuration (snake_case or camelCase keys); function-valued seams (resolver, dialer,
 * transport) can only be set from code, never from configuration.
 *
 * @example
 * ```ts
 * import { builtinTools } from "./builtin_tools.ts";
 * console.assert([...builtinTools().keys()].join() === "http_fetch,html_parse,recall,render_dom,browser,shell,run_code");
 * ```
 * @module
 */
import type { Tool } from "../../core/types.ts";
import { HtmlParse, type HtmlParseOptions } from "./html_parse.ts";
import { HttpFetch, type HttpFetchOptions } from "./http_fetch.ts";
import { Recall } from "./recall.ts";
import { RenderDom, type RenderDomOptions } from "./render_dom.ts";
import { Browser, type BrowserOptions } from "./browser.ts";
import { Shell, type ShellOptions } from "./shell.ts";
import { RunCode, type RunCodeOptions } from "./run_code.ts";

/** Builds a tool from configuration arguments; throws `TypeError` on an unknown or bad key. */
export type ToolFactory = (args?: Record<string, unknown>) => Tool;

type Kind = "strings" | "boolean" | "number" | "string";

/** Reads known keys (each under its snake_case or camelCase spelling); refuses the rest. */
function readArgs(
  tool: string,
  args: Record<string, unknown>,
  spec: Record<string, readonly [string, Kind]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const entry = spec[key];
    if (entry === undefined) {
      const known = Object.keys(spec).filter((k) => k.includes("_") || !/[A-Z]/.test(k));
      throw new TypeError(
        `Cannot configure tool "${tool}": unknown argument "${key}" (known: ${known.join(", ")})`,
      );
    }
    const [name, kind] = entry;
    const ok = kind === "strings"
      ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : kind === "string"
      ? typeof value === "string" && value.length > 0
      : kind === "boolean"
      ? typeof value === "boolean"
      : typeof value === "number" && Number.isFinite(value) && value > 0;
    if (!ok) {
      const want = kind === "strings"
        ? "a list of strings"
        : kind === "string"
        ? "a non-empty string"
        : kind === "boolean"
        ? "true or false"
        : "a positive number";
      throw new TypeError(`Cannot configure tool "${tool}": argument "${key}" must be ${want}`);
    }
    out[name] = value;
  }
  return out;
}

// The network policy both fetching tools take (in snake_case, as in agent.yaml, or camelCase).
const NETWORK_ARGS: Record<
  string,
  readonly [keyof HttpFetchOptions & keyof RenderDomOptions, Kind]
> = {
  allowed_domains: ["allowedDomains", "strings"],
  allowedDomains: ["allowedDomains", "strings"],
  allow_private: ["allowPrivate", "boolean"],
  allowPrivate: ["allowPrivate", "boolean"],
  allow_cidrs: ["allowCidrs", "strings"],
  allowCidrs: ["allowCidrs", "strings"],
  timeout_ms: ["timeoutMs", "number"],
  timeoutMs: ["timeoutMs", "number"],
};

const HTTP_FETCH_ARGS: Record<string, readonly [keyof HttpFetchOptions, Kind]> = {
  ...NETWORK_ARGS,
  local_origins: ["localOrigins", "strings"],
  localOrigins: ["localOrigins", "strings"],
  max_bytes: ["maxBytes", "number"],
  maxBytes: ["maxBytes", "number"],
  max_redirects: ["maxRedirects", "number"],
  maxRedirects: ["maxRedirects", "number"],
  ca_certs: ["caCerts", "strings"],
  caCerts: ["caCerts", "strings"],
};

const HTML_PARSE_ARGS: Record<string, readonly [keyof HtmlParseOptions, Kind]> = {
  max_bytes: ["maxBytes", "number"],
  maxBytes: ["maxBytes", "number"],
};

const BROWSER_ARGS: Record<string, readonly [keyof RenderDomOptions, Kind]> = {
  image: ["image", "string"],
  ...NETWORK_ARGS,
};

const SHELL_ARGS: Record<string, readonly [keyof ShellOptions, Kind]> = {
  image: ["image", "string"],
  timeout_ms: ["timeoutMs", "number"],
  timeoutMs: ["timeoutMs", "number"],
  max_output_bytes: ["maxOutputBytes", "number"],
  maxOutputBytes: ["maxOutputBytes", "number"],
};

const RUN_CODE_ARGS: Record<string, readonly [keyof RunCodeOptions, Kind]> = {
  ...SHELL_ARGS,
  languages: ["languages", "strings"],
};

/**
 * A fresh table of the built-in tools: `http_fetch`, `html_parse`, `recall` (tier 1) and
 * `render_dom`, `browser`, `shell`, `run_code` (tier 2).
 *
 * @example
 * ```ts
 * import { builtinTools } from "./builtin_tools.ts";
 * const recall = builtinTools().get("recall")!();
 * console.assert(recall.tier === 1);
 * ```
 */
export function builtinTools(): Map<string, ToolFactory> {
  return new Map<string, ToolFactory>([
    [
      "http_fetch",
      (args = {}) =>
        new HttpFetch(readArgs("http_fetch", args, HTTP_FETCH_ARGS) as HttpFetchOptions),
    ],
    [
      "html_parse",
      (args = {}) =>
        new HtmlParse(readArgs("html_parse", args, HTML_PARSE_ARGS) as HtmlParseOptions),
    ],
    ["recall", (args = {}) => {
      readArgs("recall", args, {});
      return new Recall();
    }],
    // Tier 2: the sandbox backend and the egress proxy are injected at the composition root
    // (CLI or embedding code); without them a call fails with "sandbox_required".
    [
      "render_dom",
      (args = {}) => new RenderDom(readArgs("render_dom", args, BROWSER_ARGS) as RenderDomOptions),
    ],
    [
      "browser",
      (args = {}) => new Browser(readArgs("browser", args, BROWSER_ARGS) as BrowserOptions),
    ],
    [
      "shell",
      (args = {}) => new Shell(readArgs("shell", args, SHELL_ARGS) as ShellOptions),
    ],
    [
      "run_code",
      (args = {}) => new RunCode(readArgs("run_code", args, RUN_CODE_ARGS) as RunCodeOptions),
    ],
  ]);
}
