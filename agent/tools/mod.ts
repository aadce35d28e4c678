/**
 * zu's built-in web tools: `http_fetch`, `html_parse`, `recall`, and {@link builtinTools}, the
 * name → factory table the agent configuration uses.
 *
 * @example
 * ```ts
 * import { builtinTools } from "./mod.ts";
 * const fetchTool = builtinTools().get("http_fetch")!({ allowed_domains: ["*.example.com"] });
 * console.assert(fetchTool.name === "http_fetch");
 * ```
 * @module
 */
export { HttpFetch } from "./http_fetch.ts";
export type {
  Dialer,
  DialTarget,
  HttpFetchOptions,
  Transport,
  TransportRequest,
  TransportResponse,
} from "./http_fetch.ts";
export { HtmlParse } from "./html_parse.ts";
export type { HtmlParseOptions } from "./html_parse.ts";
export { Recall, RECALL_WINDOW } from "./recall.ts";
export { builtinTools, type ToolFactory } from "./builtin_tools.ts";
export { RenderDom, renderObservation } from "./render_dom.ts";
export type {
  BrowserEgress,
  BrowserToolOptions,
  EgressLease,
  EgressRequest,
  RenderDomOptions,
} from "./render_dom.ts";
export { Browser, BROWSER_OPS, closeRunSessions, openRunSessionKeys } from "./browser.ts";
export type { BrowserOptions } from "./browser.ts";
