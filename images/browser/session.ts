/**
 * `zu-browser`: the session server of the browser image. Speaks zu's JSON-lines protocol over
 * stdin/stdout: one JSON command per line in, one JSON reply per line out, in order. A command's
 * `id`, when present, is echoed in its reply.
 *
 * | op | arguments | reply |
 * | --- | --- | --- |
 * | `open` | `url`, `width?`, `height?`, `wait_until?`, `capture_network?`, `actions?` | `{rendered:true, status, url, text, html, content?, network?, action_error?, action_error_kind?}` |
 * | `act` | `actions` | `{rendered:true, url, text, changed, action_error?, action_error_kind?}` (`text` is the diff since the previous step) |
 * | `read` | — | `{rendered:true, status, url, title, text, html, content?, network?}` |
 * | `screenshot` | `full_page?` | `{rendered:true, url, png_base64, bytes}` |
 * | `close` | — | `{closed:true}`, then the server exits |
 *
 * Actions outside zu's schema: `{error, blocked:"invalid_action"}`; an unknown op:
 * `{error, blocked:"invalid_op"}`; any other failure: `{error}`. The server never dies on a bad
 * line; it exits on `close` or end of input. Chromium starts on the first `open`, with a fresh
 * profile, behind `HTTPS_PROXY`.
 *
 * @example
 * ```ts ignore
 * import { BrowserSession } from "./session.ts";
 * await using session = new BrowserSession();
 * const opened = await session.handle({ op: "open", url: "http://127.0.0.1:8000/" });
 * ```
 * @module
 */
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { InvalidActionError, validateActions } from "./actions.ts";
import { launchChromium, type LaunchChromiumOptions } from "./chromium.ts";
import {
  BODY_TEXT,
  NetworkRecorder,
  observe,
  runActions,
  textDiff,
  waitUntilOf,
} from "./page_ops.ts";

const MAX_SCREENSHOT_BYTES = 5_000_000;

/** A browser session: one Chromium, one page at a time. */
export class BrowserSession implements AsyncDisposable {
  #launch: LaunchChromiumOptions;
  #browser: Browser | null = null;
  #context: BrowserContext | null = null;
  #page: Page | null = null;
  #response: Response | null = null;
  #recorder: NetworkRecorder | null = null;
  #lastText = "";
  #closed = false;

  /** Creates a session; Chromium starts on the first `open`. */
  constructor(options: { launch?: LaunchChromiumOptions } = {}) {
    this.#launch = options.launch ?? {};
  }

  /** Whether `close` was handled. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Handles one command and returns its reply (never throws). */
  async handle(command: unknown): Promise<Record<string, unknown>> {
    const id = typeof command === "object" && command !== null
      ? (command as Record<string, unknown>)["id"]
      : undefined;
    let reply: Record<string, unknown>;
    try {
      reply = await this.#dispatch(command);
    } catch (error) {
      reply = error instanceof InvalidActionError
        ? { error: error.message, blocked: error.blocked }
        : { error: String((error as Error)?.message ?? error).split("\n")[0] };
    }
    return id === undefined ? reply : { id, ...reply };
  }

  async #dispatch(command: unknown): Promise<Record<string, unknown>> {
    if (typeof command !== "object" || command === null || Array.isArray(command)) {
      return { error: "Invalid command: expected a JSON object", blocked: "invalid_op" };
    }
    const c = command as Record<string, unknown>;
    switch (c["op"]) {
      case "open":
        return await this.#open(c);
      case "act":
        return await this.#act(c);
      case "read":
        return await this.#read();
      case "screenshot":
        return await this.#screenshot(c);
      case "close":
        await this.close();
        return { closed: true };
      default:
        return { error: `Unknown op "${String(c["op"])}"`, blocked: "invalid_op" };
    }
  }

  #requirePage(): Page {
    if (!this.#page) throw new Error(`No page is open: send "open" first`);
    return this.#page;
  }

  async #open(c: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = c["url"];
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      throw new TypeError(`Cannot open: "url" must be an http(s) URL`);
    }
    const actions = validateActions(c["actions"]);
    const waitUntil = waitUntilOf(c["wait_until"]);
    const width = typeof c["width"] === "number" ? c["width"] : 1280;
    const height = typeof c["height"] === "number" ? c["height"] : 800;
    this.#browser ??= await launchChromium(this.#launch);
    await this.#context?.close().catch(() => {});
    this.#context = await this.#browser.newContext({
      viewport: { width, height },
      serviceWorkers: "block",
      acceptDownloads: false,
    });
    const page = await this.#context.newPage();
    this.#page = page;
    this.#recorder = c["capture_network"] === true ? new NetworkRecorder(page) : null;
    try {
      this.#response = await page.goto(url, { waitUntil, timeout: 30_000 });
    } catch (error) {
      this.#response = null;
      const message = String((error as Error)?.message ?? error).split("\n")[0];
      const obs: Record<string, unknown> = {
        rendered: true,
        status: 0,
        url,
        text: "",
        html: "",
        error: message,
      };
      if (this.#recorder) obs["network"] = this.#recorder.entries.slice();
      return obs;
    }
    const outcome = await runActions(page, actions);
    const obs = await observe(page, this.#response, { recorder: this.#recorder });
    this.#lastText = obs.text;
    const reply: Record<string, unknown> = { rendered: true, ...obs };
    if (outcome.action_error) {
      reply["action_error"] = outcome.action_error;
      reply["action_error_kind"] = outcome.action_error_kind;
    }
    return reply;
  }

  async #act(c: Record<string, unknown>): Promise<Record<string, unknown>> {
    const actions = validateActions(c["actions"]);
    const page = this.#requirePage();
    const outcome = await runActions(page, actions);
    const text = await page.evaluate<string>(BODY_TEXT).catch(() => "");
    const diff = textDiff(this.#lastText, String(text));
    this.#lastText = String(text);
    const reply: Record<string, unknown> = {
      rendered: true,
      url: page.url(),
      text: diff,
      changed: diff !== "",
    };
    if (outcome.action_error) {
      reply["action_error"] = outcome.action_error;
      reply["action_error_kind"] = outcome.action_error_kind;
    }
    return reply;
  }

  async #read(): Promise<Record<string, unknown>> {
    const page = this.#requirePage();
    const obs = await observe(page, this.#response, { recorder: this.#recorder });
    this.#lastText = obs.text;
    return { rendered: true, ...obs, title: await page.title().catch(() => "") };
  }

  async #screenshot(c: Record<string, unknown>): Promise<Record<string, unknown>> {
    const page = this.#requirePage();
    const png = await page.screenshot({
      fullPage: c["full_page"] === true,
      type: "png",
      timeout: 15_000,
    });
    if (png.byteLength > MAX_SCREENSHOT_BYTES) {
      return {
        error: `Screenshot of ${png.byteLength} bytes is over the ${MAX_SCREENSHOT_BYTES} byte cap`,
      };
    }
    return {
      rendered: true,
      url: page.url(),
      png_base64: png.toString("base64"),
      bytes: png.byteLength,
    };
  }

  /** Closes the page and Chromium. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#page = null;
    const browser = this.#browser;
    this.#browser = null;
    this.#context = null;
    await browser?.close().catch(() => {});
  }

  /** Same as {@linkcode BrowserSession.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Reads lines from a byte stream (`\n`-separated, a trailing partial line included). */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered !== "") yield buffered;
}

/** Serves the protocol: commands from `input`, replies to `write`, until `close` or end of input. */
export async function serve(
  input: ReadableStream<Uint8Array>,
  write: (line: string) => Promise<void>,
  options: { launch?: LaunchChromiumOptions } = {},
): Promise<void> {
  await using session = new BrowserSession(options);
  for await (const line of readLines(input)) {
    if (line.trim() === "") continue;
    let command: unknown;
    try {
      command = JSON.parse(line);
    } catch {
      await write(
        JSON.stringify({ error: "Invalid command: not JSON", blocked: "invalid_op" }) + "\n",
      );
      continue;
    }
    await write(JSON.stringify(await session.handle(command)) + "\n");
    if (session.closed) break;
  }
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const writer = Deno.stdout.writable.getWriter();
  await serve(Deno.stdin.readable, (line) => writer.write(encoder.encode(line)));
  await writer.close().catch(() => {});
}
