/**
 * What the renderer and the session server do to a page: run zu's actions (a missed target is a
 * soft error, never a crash), record the network when asked, and read an observation.
 *
 * @example
 * ```ts ignore
 * import { NetworkRecorder, observe, runActions } from "./page_ops.ts";
 * const recorder = new NetworkRecorder(page);
 * const response = await page.goto("https://shop.example/");
 * const outcome = await runActions(page, [{ verb: "click", selector: "text=Buy" }]);
 * const obs = { ...(await observe(page, response, { recorder })), ...outcome };
 * ```
 * @module
 */
import type { Locator, Page, Response } from "playwright-core";
import type { BrowserAction } from "./actions.ts";

/** Longest html kept in an observation (characters). */
export const MAX_HTML_CHARS = 2_000_000;
/** Longest text kept in an observation (characters). */
export const MAX_TEXT_CHARS = 200_000;
const MAX_NETWORK = 200;
const MAX_BODY_CHARS = 100_000;
const MAX_CONTENT_CHARS = 500_000;

/** One recorded request. */
export interface NetworkEntry {
  /** Request URL. */
  url: string;
  /** HTTP method. */
  method: string;
  /** Playwright resource type (`document`, `xhr`, `fetch`, `script`, ...). */
  type: string;
  /** Response status (absent when the request failed). */
  status?: number;
  /** Response content type. */
  content_type?: string;
  /** Why the request failed (e.g. `net::ERR_TUNNEL_CONNECTION_FAILED` when the proxy refused). */
  error?: string;
}

/** Records requests and XHR/fetch JSON or text bodies of one page. */
export class NetworkRecorder {
  /** Requests in order (at most 200). */
  readonly entries: NetworkEntry[] = [];
  /** `[url]\nbody` blocks of XHR/fetch text responses. */
  readonly bodies: string[] = [];
  #pending: Promise<unknown>[] = [];

  /** Starts recording `page`. */
  constructor(page: Page) {
    page.on("response", (response) => this.#onResponse(response));
    page.on("requestfailed", (request) => {
      if (this.entries.length >= MAX_NETWORK) return;
      this.entries.push({
        url: request.url(),
        method: request.method(),
        type: request.resourceType(),
        error: request.failure()?.errorText ?? "failed",
      });
    });
  }

  #onResponse(response: Response): void {
    if (this.entries.length >= MAX_NETWORK) return;
    const request = response.request();
    const contentType = response.headers()["content-type"] ?? "";
    this.entries.push({
      url: response.url(),
      method: request.method(),
      type: request.resourceType(),
      status: response.status(),
      content_type: contentType,
    });
    const type = request.resourceType();
    if ((type === "xhr" || type === "fetch") && /json|text|xml|javascript/.test(contentType)) {
      this.#pending.push(
        response.text().then(
          (body) => this.bodies.push(`[${response.url()}]\n${body.slice(0, MAX_BODY_CHARS)}`),
          () => {},
        ),
      );
    }
  }

  /** Waits for body reads in flight. */
  async settle(): Promise<void> {
    await Promise.all(this.#pending);
    this.#pending = [];
  }
}

/** What running actions produced. */
export interface ActionOutcome {
  /** Why an action failed. */
  action_error?: string;
  /** `soft` when the target was missing or did not become ready in time; `hard` otherwise. */
  action_error_kind?: "soft" | "hard";
  /** Index of the failing action. */
  action_index?: number;
  /** Actions that ran to completion. */
  actions_done: number;
}

/** The few DOM members the `near` scorer touches (the project compiles without the DOM lib). */
interface DomNode {
  textContent: string | null;
  parentElement: DomNode | null;
  getAttribute(name: string): string | null;
}

/** Page expression: the visible text of the body. */
export const BODY_TEXT = 'document.body ? document.body.innerText : ""';

async function locate(
  page: Page,
  selector: string,
  near: string | undefined,
  timeout: number,
): Promise<Locator> {
  const all = page.locator(selector);
  await all.first().waitFor({ state: "attached", timeout });
  if (near === undefined) return all.first();
  const count = Math.min(await all.count(), 50);
  let best = -1;
  let bestDepth = Infinity;
  for (let i = 0; i < count; i++) {
    const depth = await all.nth(i).evaluate((el: unknown, needle: string) => {
      const want = needle.toLowerCase();
      let node = el as DomNode | null;
      for (let d = 0; node && d < 8; d++, node = node.parentElement) {
        if ((node.textContent ?? "").toLowerCase().includes(want)) return d;
        const label = node.getAttribute("aria-label") ?? node.getAttribute("placeholder") ?? "";
        if (label.toLowerCase().includes(want)) return d;
      }
      return Infinity;
    }, near);
    if (depth < bestDepth) {
      bestDepth = depth;
      best = i;
    }
  }
  if (best < 0) {
    const err = new Error(`no element matching "${selector}" is near "${near}"`);
    err.name = "TimeoutError";
    throw err;
  }
  return all.nth(best);
}

function describe(action: BrowserAction): string {
  return action.verb === "wait_ms" ? `wait_ms ${action.ms}` : `${action.verb} "${action.selector}"`;
}

/**
 * Runs `actions` in order, stopping at the first failure. A target that is missing or never gets
 * ready within `timeoutMs` (default 5,000) is a soft error; anything else (a bad selector, a
 * detached frame) is hard. Never throws for a page-level failure.
 */
export async function runActions(
  page: Page,
  actions: BrowserAction[],
  options: { timeoutMs?: number } = {},
): Promise<ActionOutcome> {
  const timeout = options.timeoutMs ?? 5_000;
  let done = 0;
  for (const [i, action] of actions.entries()) {
    try {
      if (action.verb === "wait_ms") {
        await page.waitForTimeout(action.ms);
      } else {
        const target = await locate(page, action.selector, action.near, timeout);
        if (action.verb === "click") {
          await target.click({ timeout });
          await page.waitForLoadState("domcontentloaded", { timeout }).catch(() => {});
        } else if (action.verb === "fill") {
          await target.fill(action.value ?? "", { timeout });
        } else if (action.verb === "select") {
          await target.selectOption(action.value ?? "", { timeout });
        } else {
          await target.waitFor({ state: "visible", timeout });
        }
      }
      done++;
    } catch (error) {
      const e = error as Error;
      const soft = e?.name === "TimeoutError";
      const reason = soft
        ? `target not found or not ready within ${timeout} ms`
        : String(e?.message ?? e).split("\n")[0];
      return {
        action_error: `Cannot ${describe(action)}: ${reason}`,
        action_error_kind: soft ? "soft" : "hard",
        action_index: i,
        actions_done: done,
      };
    }
  }
  return { actions_done: done };
}

/** An observation of a page. */
export interface PageObservation {
  /** HTTP status of the main document (0 when unknown). */
  status: number;
  /** The rendered DOM serialised (capped). */
  html: string;
  /** The page's URL now. */
  url: string;
  /** `document.body.innerText` (capped). */
  text: string;
  /** XHR/fetch bodies when the network was recorded. */
  content?: string;
  /** Requests when the network was recorded. */
  network?: NetworkEntry[];
}

/** Reads the page: status, rendered html, url, visible text, and the network when recorded. */
export async function observe(
  page: Page,
  response: Response | null,
  options: { recorder?: NetworkRecorder | null; status?: number } = {},
): Promise<PageObservation> {
  const html = await page.content().catch(() => "");
  const text = await page
    .evaluate<string>(BODY_TEXT)
    .catch(() => "");
  const obs: PageObservation = {
    status: response?.status() ?? options.status ?? 0,
    html: html.slice(0, MAX_HTML_CHARS),
    url: page.url(),
    text: String(text).slice(0, MAX_TEXT_CHARS),
  };
  const recorder = options.recorder;
  if (recorder) {
    await recorder.settle();
    obs.network = recorder.entries.slice();
    obs.content = recorder.bodies.join("\n\n").slice(0, MAX_CONTENT_CHARS);
  }
  return obs;
}

/** Lines of `after` that are not lines of `before`, in order (what an action changed). */
export function textDiff(before: string, after: string): string {
  const seen = new Set(before.split("\n").map((l) => l.trim()));
  return after
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !seen.has(l))
    .join("\n");
}

/** The `wait_until` values zu accepts. */
export const WAIT_UNTIL: readonly string[] = ["load", "domcontentloaded", "networkidle", "commit"];

/** Validates `wait_until` (default `load`). Throws `TypeError` on anything else. */
export function waitUntilOf(
  value: unknown,
): "load" | "domcontentloaded" | "networkidle" | "commit" {
  if (value === undefined || value === null) return "load";
  if (typeof value !== "string" || !WAIT_UNTIL.includes(value)) {
    throw new TypeError(
      `Invalid wait_until "${String(value)}": expected one of ${WAIT_UNTIL.join(", ")}`,
    );
  }
  return value as "load" | "domcontentloaded" | "networkidle" | "commit";
}
