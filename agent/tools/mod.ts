/**
 * zu's built-in tools: `http_fetch`, `html_parse`, `recall`, the sandbox tools (`render_dom`,
 * `browser`, `shell`, `run_code`) and {@link builtinTools}, the
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
export { Shell } from "./shell.ts";
export type { ShellOptions } from "./shell.ts";
export { CODE_LANGUAGES, RunCode } from "./run_code.ts";
export type { RunCodeOptions } from "./run_code.ts";
export { closeRunWorkspaces, execObservation } from "./sandbox_exec.ts";
export type { ExecToolOptions } from "./sandbox_exec.ts";
export { backendExecSession } from "./backend_exec_session.ts";
