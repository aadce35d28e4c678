/**
 * `render_dom`: the tier-2 one-shot renderer. Validates the actions, checks the URL (scheme,
 * `allowed_domains`, SSRF guard with one resolution), puts an egress proxy in front of a fresh
 * sandbox that allows only the target host (pinned to the checked address), runs `zu-render`
 * in it, and destroys the sandbox and the proxy, always.
 *
 * @example
 * ```ts ignore
 * import { RenderDom } from "./render_dom.ts";
 * const tool = new RenderDom({ backend, egress });
 * const obs = await tool.call(ctx, { url: "https://shop.example/item/1" });
 * console.log(obs.text);
 * ```
 * @module
 */
import { CAP_NET, CAP_SANDBOX } from "../../core/contracts.ts";
import type { RunContext, Tool } from "../../core/types.ts";
import { actionToWire, InvalidActionError, validateActions } from "../../images/browser/actions.ts";
import { blockedEgressOf } from "./_browser_egress.ts";
import {
  BrowserToolConfig,
  type BrowserToolOptions,
  runKeyOf,
  viewArgs,
} from "./browser_target.ts";

export type { BrowserEgress, EgressLease, EgressRequest } from "../../core/types.ts";
export type { BrowserToolOptions } from "./browser_target.ts";

/** Options of {@linkcode RenderDom} (see {@linkcode BrowserToolOptions}). */
export type RenderDomOptions = BrowserToolOptions;

const ACTION_SCHEMA = {
  type: "array",
  description:
    'Actions: {"click"|"fill"|"select"|"wait_for": selector, "value"?, "near"?} or {"wait_ms": n}.',
  items: { type: "object" },
};

/** Turns `zu-render`'s exec result into an observation (zu's error shapes). */
export function renderObservation(
  result: { exitCode: number; stdout: string; stderr: string; timedOut: boolean },
  timeoutMs: number,
): Record<string, unknown> {
  if (result.timedOut) {
    return {
      status: 504,
      html: "",
      error: `render timed out after ${Math.round(timeoutMs / 1000)}s`,
    };
  }
  if (result.exitCode !== 0) {
    return {
      status: 500,
      html: "",
      error: `render failed (exit ${result.exitCode}): ${result.stderr.slice(0, 500)}`,
    };
  }
  const line = result.stdout.trim().split("\n").filter((l) => l.trim() !== "").pop() ?? "";
  try {
    const parsed = JSON.parse(line);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // fall through
  }
  return {
    status: 500,
    error: "render produced non-JSON output",
    raw: result.stdout.slice(0, 2000),
  };
}

/**
 * The `render_dom` tool: tier 2, capabilities `net` and `sandbox`, egress `*`. Observation
 * `{status, html, url, rendered:true, text?, content?, network?, action_error?,
 * action_error_kind?, blocked_egress?}`; invalid actions give `{error, blocked:"invalid_action"}`
 * without starting anything. Refused targets throw `SecurityBlock` (kinds `ssrf`,
 * `off_allowlist`, `scheme`).
 */
export class RenderDom implements Tool {
  /** Registry name. */
  readonly name = "render_dom";
  /** The browser tier. */
  tier = 2;
  /** Needs the network and a sandbox. */
  readonly capabilities: ReadonlySet<string> = new Set([CAP_NET, CAP_SANDBOX]);
  /** May reach any host (narrowed per instance by `allowedDomains`). */
  readonly egress: ReadonlySet<string> = new Set(["*"]);
  /** Page content is untrusted. */
  readonly untrusted = true;
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "render_dom",
    description:
      "Render a page in a real browser (JavaScript runs) and return its DOM and visible text.",
    parameters: {
      type: "object",
      properties: {
        url: { type: "string", description: "The http:// or https:// URL to render." },
        width: { type: "integer" },
        height: { type: "integer" },
        wait_until: { type: "string", enum: ["load", "domcontentloaded", "networkidle", "commit"] },
        wait_for: { type: "string", description: "A selector to wait for." },
        wait_ms: { type: "integer" },
        actions: ACTION_SCHEMA,
        capture_network: { type: "boolean" },
      },
      required: ["url"],
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "render_dom(url, wait_for?, actions?): render a JavaScript page in a browser; returns {status, html, text, url}.";

  #config: BrowserToolConfig;

  /** Creates the tool; see {@linkcode BrowserToolOptions} for defaults. */
  constructor(options: RenderDomOptions = {}) {
    this.#config = new BrowserToolConfig(options);
  }

  /** Renders `args.url` in a fresh sandbox. */
  async call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    let actions;
    try {
      actions = validateActions(args["actions"]);
    } catch (error) {
      if (error instanceof InvalidActionError) {
        return { error: error.message, blocked: error.blocked };
      }
      throw error;
    }
    const view = viewArgs(args);
    const config = this.#config;
    const target = await config.checkTarget(args["url"]);
    const backend = config.requireBackend(this.name);
    const runId = runKeyOf(ctx);
    const argv = ["zu-render", target.url];
    if (view.width !== undefined) argv.push("--width", String(view.width));
    if (view.height !== undefined) argv.push("--height", String(view.height));
    if (view.waitUntil !== undefined) argv.push("--wait-until", view.waitUntil);
    if (view.waitFor !== undefined) argv.push("--wait-for", view.waitFor);
    if (view.waitMs !== undefined) argv.push("--wait-ms", String(view.waitMs));
    if (actions.length > 0) argv.push("--actions", JSON.stringify(actions.map(actionToWire)));
    if (view.captureNetwork) argv.push("--capture-network");
    argv.push("--timeout-ms", String(Math.max(1_000, config.timeoutMs - 5_000)));
    const lease = await config.lease(this.name, target, runId);
    try {
      const handle = await backend.launch(config.spec(target, lease, runId));
      let obs: Record<string, unknown>;
      try {
        const result = await backend.execEntrypoint(handle, argv, {
          timeoutMs: config.timeoutMs,
          maxOutputBytes: 8_000_000,
          ...(ctx?.signal ? { signal: ctx.signal } : {}),
        });
        obs = renderObservation(result, config.timeoutMs);
      } finally {
        await backend.destroy(handle);
      }
      obs["rendered"] = true;
      if (lease) {
        const blocked = blockedEgressOf(await lease.decisions());
        if (blocked.length > 0) obs["blocked_egress"] = blocked;
      }
      return obs;
    } finally {
      await lease?.close();
    }
  }
}
