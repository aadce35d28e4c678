/**
 * `browser`: the tier-2 interactive browser. One session per run (keyed by the trace id) lives in
 * a sandbox behind the egress proxy and speaks zu's JSON-lines protocol (`zu-browser` in the
 * image). `op=open` checks the target like `render_dom` and opens or reuses the run's session (a
 * different host releases the old sandbox and leases a fresh one); `act` runs actions; `read`
 * returns the full view; `screenshot` a PNG; `close` tears the session down. The run's end must
 * call {@linkcode closeRunSessions}.
 *
 * @example
 * ```ts ignore
 * import { Browser, closeRunSessions } from "./browser.ts";
 * const tool = new Browser({ backend, egress });
 * await tool.call(ctx, { op: "open", url: "https://shop.example/form" });
 * await tool.call(ctx, { op: "act", actions: [{ fill: "#q", value: "shoes" }, { click: "text=Go" }] });
 * const view = await tool.call(ctx, { op: "read" });
 * await closeRunSessions(ctx.trace_id!);
 * ```
 * @module
 */
import { CAP_NET, CAP_SANDBOX } from "../../core/contracts.ts";
import { UserError } from "../../core/errors.ts";
import type { EgressLease, RunContext, SessionHandle, Tool } from "../../core/types.ts";
import {
  actionToWire,
  type BrowserAction,
  InvalidActionError,
  validateActions,
} from "../../images/browser/actions.ts";
import { blockedEgressOf } from "./_browser_egress.ts";
import {
  BrowserToolConfig,
  type BrowserToolOptions,
  runKeyOf,
  viewArgs,
} from "./browser_target.ts";

/** Options of {@linkcode Browser} (see {@linkcode BrowserToolOptions}). */
export type BrowserOptions = BrowserToolOptions;

/** The ops the tool accepts. */
export const BROWSER_OPS: readonly string[] = ["open", "act", "read", "screenshot", "close"];

interface RunSession {
  session: SessionHandle;
  lease: EgressLease | null;
  host: string;
  seenDecisions: number;
}

const RUN_SESSIONS = new Map<string, RunSession>();
const LOCKS = new Map<string, Promise<unknown>>();

async function locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = LOCKS.get(key) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(fn);
  LOCKS.set(key, next);
  try {
    return await next;
  } finally {
    if (LOCKS.get(key) === next) LOCKS.delete(key);
  }
}

async function teardown(shared: RunSession): Promise<void> {
  try {
    await shared.session.close();
  } finally {
    await shared.lease?.close();
  }
}

/** Closes the run's shared browser session and its proxy, if any. Idempotent. */
export async function closeRunSessions(runKey: string): Promise<void> {
  const shared = RUN_SESSIONS.get(runKey);
  if (!shared) return;
  RUN_SESSIONS.delete(runKey);
  await teardown(shared);
}

/** Run keys with an open session (diagnostics and tests). */
export function openRunSessionKeys(): string[] {
  return [...RUN_SESSIONS.keys()];
}

/**
 * The `browser` tool: tier 2, capabilities `net` and `sandbox`, egress `*`, write op `act`.
 * Observations carry `rendered:true`, `blocked_egress` when the page tried to reach a host the
 * proxy refused since the previous op, and `{closed:true}` for `close`. Invalid actions give
 * `{error, blocked:"invalid_action"}`, an unknown op `{error, blocked:"invalid_op"}`.
 */
export class Browser implements Tool {
  /** Registry name. */
  readonly name = "browser";
  /** The browser tier. */
  tier = 2;
  /** Needs the network and a sandbox. */
  readonly capabilities: ReadonlySet<string> = new Set([CAP_NET, CAP_SANDBOX]);
  /** May reach any host (narrowed per instance by `allowedDomains`). */
  readonly egress: ReadonlySet<string> = new Set(["*"]);
  /** Ops that change the page (the `read-only` policy blocks them). */
  readonly write_ops: ReadonlySet<string> = new Set(["act"]);
  /** Page content is untrusted. */
  readonly untrusted = true;
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "browser",
    description:
      "Drive a real browser session: open a page, act on it (click, fill, select), read it, close it.",
    parameters: {
      type: "object",
      properties: {
        op: { type: "string", enum: [...BROWSER_OPS] },
        url: { type: "string", description: "For op=open: the http:// or https:// URL." },
        actions: {
          type: "array",
          description:
            'Actions: {"click"|"fill"|"select"|"wait_for": selector, "value"?, "near"?} or {"wait_ms": n}.',
          items: { type: "object" },
        },
        wait_until: { type: "string", enum: ["load", "domcontentloaded", "networkidle", "commit"] },
        capture_network: { type: "boolean" },
        width: { type: "integer" },
        height: { type: "integer" },
      },
      required: ["op"],
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "browser(op=open|act|read|close, url?, actions?): a live browser session for forms and clicks.";

  #config: BrowserToolConfig;

  /** Creates the tool; see {@linkcode BrowserToolOptions} for defaults. */
  constructor(options: BrowserOptions = {}) {
    this.#config = new BrowserToolConfig(options);
  }

  /** Runs one op on the run's session. */
  call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const op = args["op"];
    if (typeof op !== "string" || !BROWSER_OPS.includes(op)) {
      return Promise.resolve({
        error: `Unknown op "${String(op)}": expected one of ${BROWSER_OPS.join(", ")}`,
        blocked: "invalid_op",
      });
    }
    let actions: BrowserAction[];
    try {
      actions = validateActions(args["actions"]);
    } catch (error) {
      if (error instanceof InvalidActionError) {
        return Promise.resolve({ error: error.message, blocked: error.blocked });
      }
      throw error;
    }
    const key = runKeyOf(ctx);
    return locked(key, async () => {
      if (op === "close") {
        await closeRunSessions(key);
        return { closed: true };
      }
      if (op === "open") return await this.#open(key, args, actions);
      const shared = RUN_SESSIONS.get(key);
      if (!shared) return { error: `No browser session is open: call op "open" first` };
      const command: Record<string, unknown> = { op };
      if (op === "act") command["actions"] = actions.map(actionToWire);
      if (op === "screenshot" && args["full_page"] === true) command["full_page"] = true;
      return await this.#send(key, shared, command);
    });
  }

  async #open(
    key: string,
    args: Record<string, unknown>,
    actions: BrowserAction[],
  ): Promise<Record<string, unknown>> {
    const config = this.#config;
    const view = viewArgs(args);
    const target = await config.checkTarget(args["url"]);
    let shared = RUN_SESSIONS.get(key);
    if (shared && shared.host !== target.host) {
      RUN_SESSIONS.delete(key);
      await teardown(shared);
      shared = undefined;
    }
    if (!shared) {
      config.requireBackend(this.name);
      if (!config.openSession) {
        throw new UserError(
          "sandbox_required",
          `Cannot run "browser": the sandbox backend cannot open sessions`,
        );
      }
      const lease = await config.lease(this.name, target, key);
      try {
        const session = await config.openSession(config.spec(target, lease, key));
        shared = { session, lease, host: target.host, seenDecisions: 0 };
        RUN_SESSIONS.set(key, shared);
      } catch (error) {
        await lease?.close();
        throw error;
      }
    }
    const steps: BrowserAction[] = [];
    if (view.waitFor !== undefined) steps.push({ verb: "wait_for", selector: view.waitFor });
    if (view.waitMs !== undefined) steps.push({ verb: "wait_ms", ms: view.waitMs });
    steps.push(...actions);
    const command: Record<string, unknown> = { op: "open", url: target.url };
    if (view.width !== undefined) command["width"] = view.width;
    if (view.height !== undefined) command["height"] = view.height;
    if (view.waitUntil !== undefined) command["wait_until"] = view.waitUntil;
    if (view.captureNetwork) command["capture_network"] = true;
    if (steps.length > 0) command["actions"] = steps.map(actionToWire);
    return await this.#send(key, shared, command);
  }

  async #send(
    key: string,
    shared: RunSession,
    command: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const timeoutMs = this.#config.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    let reply: Record<string, unknown> | null;
    try {
      reply = await Promise.race([shared.session.send(command), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (reply === null) {
      RUN_SESSIONS.delete(key);
      await teardown(shared).catch(() => {});
      return {
        error: `browser timed out after ${Math.round(timeoutMs / 1000)}s; the session was closed`,
      };
    }
    const obs: Record<string, unknown> = { ...reply };
    if (!("blocked" in obs)) obs["rendered"] = true;
    if (shared.lease) {
      const decisions = await shared.lease.decisions();
      const fresh = blockedEgressOf(decisions.slice(shared.seenDecisions));
      shared.seenDecisions = decisions.length;
      if (fresh.length > 0) obs["blocked_egress"] = fresh;
    }
    return obs;
  }
}
