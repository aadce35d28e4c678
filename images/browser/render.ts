/**
 * `zu-render`: the one-shot renderer of the browser image. Loads one URL in a fresh headless
 * Chromium, waits, runs actions, and prints ONE JSON observation on stdout:
 * `{status, html, url, text, content?, network?, action_error?, action_error_kind?}`, or
 * `{status, html:"", url, text:"", error}` when the page could not be loaded, or
 * `{error, blocked:"invalid_action"}` for actions outside zu's schema. The exit code is 0
 * whenever a JSON observation was printed, 2 on unusable arguments.
 *
 * ```sh
 * zu-render <url> [--width W --height H] [--wait-until load|domcontentloaded|networkidle|commit]
 *   [--wait-for SELECTOR] [--wait-ms N] [--actions JSON] [--capture-network] [--timeout-ms N]
 * ```
 *
 * @example
 * ```ts ignore
 * import { render } from "./render.ts";
 * const obs = await render({ url: "http://127.0.0.1:8000/" });
 * console.log(obs.text);
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { type BrowserAction, InvalidActionError, validateActions } from "./actions.ts";
import { launchChromium, type LaunchChromiumOptions } from "./chromium.ts";
import { NetworkRecorder, observe, runActions, waitUntilOf } from "./page_ops.ts";

/** What to render. */
export interface RenderOptions {
  /** http(s) URL. */
  url: string;
  /** Viewport width. Default 1280. */
  width?: number;
  /** Viewport height. Default 800. */
  height?: number;
  /** Navigation milestone. Default `load`. */
  waitUntil?: "load" | "domcontentloaded" | "networkidle" | "commit";
  /** Selector to wait for after loading (a miss is a soft `action_error`). */
  waitFor?: string;
  /** Extra milliseconds to wait after loading. Default 0. */
  waitMs?: number;
  /** Actions to run after loading. */
  actions?: BrowserAction[];
  /** Record requests and XHR bodies. Default `false`. */
  captureNetwork?: boolean;
  /** Navigation timeout in ms. Default 30,000. */
  timeoutMs?: number;
  /** Chromium launch options. */
  launch?: LaunchChromiumOptions;
}

/** Renders one page and returns its observation (see the module doc). Never throws for a page failure. */
export async function render(options: RenderOptions): Promise<Record<string, unknown>> {
  const browser = await launchChromium(options.launch ?? {});
  try {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
      serviceWorkers: "block",
      acceptDownloads: false,
    });
    const page = await context.newPage();
    const recorder = options.captureNetwork ? new NetworkRecorder(page) : null;
    let response;
    try {
      response = await page.goto(options.url, {
        waitUntil: options.waitUntil ?? "load",
        timeout: options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      const message = String((error as Error)?.message ?? error).split("\n")[0];
      const obs: Record<string, unknown> = {
        status: 0,
        html: "",
        url: options.url,
        text: "",
        error: message,
      };
      if (recorder) obs["network"] = recorder.entries.slice();
      return obs;
    }
    const steps: BrowserAction[] = [];
    if (options.waitFor) steps.push({ verb: "wait_for", selector: options.waitFor });
    if (options.waitMs) steps.push({ verb: "wait_ms", ms: options.waitMs });
    steps.push(...(options.actions ?? []));
    const outcome = await runActions(page, steps);
    const obs: Record<string, unknown> = { ...(await observe(page, response, { recorder })) };
    if (outcome.action_error) {
      obs["action_error"] = outcome.action_error;
      obs["action_error_kind"] = outcome.action_error_kind;
    }
    return obs;
  } finally {
    await browser.close().catch(() => {});
  }
}

function intArg(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new TypeError(`Invalid --${name} "${text}"`);
  return n;
}

/** Parses `zu-render` arguments into {@linkcode RenderOptions}. Throws `TypeError` or `InvalidActionError`. */
export function parseRenderArgs(args: string[]): RenderOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      width: { type: "string" },
      height: { type: "string" },
      "wait-until": { type: "string" },
      "wait-for": { type: "string" },
      "wait-ms": { type: "string" },
      actions: { type: "string" },
      "capture-network": { type: "boolean", default: false },
      "timeout-ms": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const url = positionals[0];
  if (positionals.length !== 1 || !url || !/^https?:\/\//i.test(url)) {
    throw new TypeError(`Invalid arguments: expected exactly one http(s) URL`);
  }
  let actions: unknown = undefined;
  if (values.actions !== undefined) {
    try {
      actions = JSON.parse(values.actions);
    } catch {
      throw new InvalidActionError(`Invalid actions: not JSON`);
    }
  }
  const out: RenderOptions = {
    url,
    waitUntil: waitUntilOf(values["wait-until"]),
    actions: validateActions(actions),
    captureNetwork: values["capture-network"] === true,
  };
  const width = intArg("width", values.width, 10_000);
  const height = intArg("height", values.height, 10_000);
  const waitMs = intArg("wait-ms", values["wait-ms"], 30_000);
  const timeoutMs = intArg("timeout-ms", values["timeout-ms"], 600_000);
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  if (waitMs !== undefined) out.waitMs = waitMs;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  if (values["wait-for"] !== undefined) out.waitFor = values["wait-for"];
  return out;
}

async function main(args: string[]): Promise<number> {
  let options: RenderOptions;
  try {
    options = parseRenderArgs(args);
  } catch (error) {
    if (error instanceof InvalidActionError) {
      console.log(JSON.stringify({ error: error.message, blocked: error.blocked }));
      return 0;
    }
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  console.log(JSON.stringify(await render(options)));
  return 0;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
