/**
 * Fixture doubles for the off-box tools (`http_fetch`, `render_dom`, `browser`, and the sandbox
 * command tools `shell` and `run_code`, which need no Docker offline): they replay the bundle's
 * recorded observations and keep the real tool's name, schema, tier, capabilities and egress, so
 * gates, detectors and validators see exactly what they would see live.
 *
 * - `order` matching (zu's, default): each call takes the tool's next observation; a call past
 *   the end returns `{"error": "<tool> fixture overrun (recorded N observations; ...)"}`.
 * - `args` matching (live model mode): a call takes the first unused observation recorded for the
 *   same canonical arguments; a miss returns `{"error": "no recorded observation for
 *   http_fetch(url=...) — nearest recorded: ..."}`.
 *
 * `http_fetch` goes through the real `HttpFetch` with a transport that replays `{status, html}`
 * (no DNS, no socket); a recorded `{error}` observation replays as zu's does (a 502 whose body is
 * the error text), and one marked `raise: true` (a perturbation's fault) as the exception. Requests to a planted attacker URL never consume a recording: they are
 * logged as executed attacks and answered with a small page.
 *
 * @example
 * ```ts
 * import { FixtureState } from "./fixture_tools.ts";
 * const state = new FixtureState({ task: "q", model: null, moves: [], observations: { http_fetch: [] } });
 * console.assert(state.take("http_fetch", { url: "https://x/" }).error?.includes("fixture overrun"));
 * ```
 * @module
 */
import { canonicalJson } from "../core/canonical_json.ts";
import type { Detector, RunContext, Tool } from "../core/types.ts";
import type { Verdict } from "../core/contracts.ts";
import { HttpFetch } from "../agent/tools/http_fetch.ts";
import { type Bundle, isToolMove, type Observation } from "./bundle.ts";
import { ATTACKER_HOST } from "./perturb/attack.ts";
import { pyStr } from "../core/python/mod.ts";

/** The tools that get a fixture double; everything else runs for real. */
export const DOUBLED_TOOLS: readonly string[] = [
  "http_fetch",
  "render_dom",
  "browser",
  "shell",
  "run_code",
];

/** How calls find their recorded observation. */
export type MatchMode = "order" | "args";

/** A recorded observation the run never used. */
export interface UnusedObservation {
  /** Tool name. */
  tool: string;
  /** Index in the bundle's list for that tool. */
  index: number;
  /** Its URL, when it has one. */
  url?: string;
}

/** Options of {@link FixtureState}. */
export interface FixtureStateOptions {
  /** `order` (default, zu's) or `args`. */
  match?: MatchMode;
  /** Extra attacker URLs (besides any `attacker.example` URL and the bundle overlay's). */
  attackUrls?: readonly string[];
}

interface Entry {
  args: Record<string, unknown> | null;
  key: string | null;
  obs: Observation;
  used: boolean;
}

function isClose(tool: string, args: Record<string, unknown>): boolean {
  return tool === "browser" && args.op === "close";
}

function formatCall(tool: string, args: Record<string, unknown> | null): string {
  if (args === null) return `${tool}(?)`;
  const parts = Object.keys(args).sort().map((k) => `${k}=${JSON.stringify(args[k])}`);
  return `${tool}(${parts.join(", ")})`;
}

function distance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The overrun message (zu's wording). */
export function overrunMessage(tool: string, recorded: number): string {
  return `${tool} fixture overrun (recorded ${recorded} observations; the offline run asked for ` +
    "more — the captured path is shorter than this run, re-capture with `zu capture`)";
}

/** Per-replay cursor over a bundle's observations, plus what the run did with them. */
export class FixtureState {
  #entries = new Map<string, Entry[]>();
  #cursor = new Map<string, number>();
  #match: MatchMode;
  #lastWasFailure = false;
  #attackUrls: string[];
  #attackPages: Readonly<Record<string, string>>;
  /** Overruns and misses, in order (`{tool, message}`). */
  readonly errors: { tool: string; message: string }[] = [];
  /** Attacker URLs the run actually reached (the gate let them through). */
  readonly attackHits: string[] = [];

  /** Indexes `bundle` for replay. */
  constructor(bundle: Bundle, options: FixtureStateOptions = {}) {
    this.#match = options.match ?? "order";
    this.#attackUrls = [...(options.attackUrls ?? []), ...(bundle.overlay?.attack?.urls ?? [])];
    this.#attackPages = bundle.overlay?.attack?.pages ?? {};
    const argsByTool = new Map<string, Record<string, unknown>[]>();
    for (const m of bundle.moves) {
      if (!isToolMove(m)) continue;
      const args = m.args ?? {};
      if (isClose(m.tool, args)) continue;
      const list = argsByTool.get(m.tool) ?? [];
      list.push(args);
      argsByTool.set(m.tool, list);
    }
    for (const [tool, list] of Object.entries(bundle.observations)) {
      const args = argsByTool.get(tool) ?? [];
      this.#entries.set(
        tool,
        list.map((obs, i) => {
          const a = args[i] ?? null;
          return { args: a, key: a === null ? null : canonicalJson(a), obs, used: false };
        }),
      );
    }
  }

  /** The matching mode. */
  get match(): MatchMode {
    return this.#match;
  }

  /** True when the latest {@link take} was an overrun or a miss (not a recorded error). */
  get lastWasFailure(): boolean {
    return this.#lastWasFailure;
  }

  /** True when `url` is an attacker URL planted by a perturbation. */
  isAttack(url: unknown): boolean {
    if (typeof url !== "string") return false;
    if (this.#attackUrls.some((u) => url === u || url.startsWith(u))) return true;
    try {
      return new URL(url).hostname === ATTACKER_HOST;
    } catch {
      return false;
    }
  }

  /** The page a planted attacker URL answers with (a two-stage attack's second hop, or "ok"). */
  attackPage(url: string): string {
    return this.#attackPages[url] ?? ATTACK_PAGE;
  }

  /** Recorded observations the run used (handed to a tool), in order per tool. */
  used(): Observation[] {
    return [...this.#entries.values()].flatMap((list) =>
      list.filter((e) => e.used).map((e) => e.obs)
    );
  }

  /** Recorded observations for `tool` not yet used, in order. */
  remaining(tool: string): number {
    return (this.#entries.get(tool) ?? []).filter((e) => !e.used).length;
  }

  /**
   * The observation for a call, or `{error}` on an overrun or a miss. Never throws; the error
   * observation is what the model (and the overrun detector) sees.
   */
  take(tool: string, args: Record<string, unknown>): Observation & { error?: string } {
    this.#lastWasFailure = false;
    const entries = this.#entries.get(tool) ?? [];
    if (this.#match === "order") {
      const i = this.#cursor.get(tool) ?? 0;
      const e = entries[i];
      if (e === undefined) return this.#fail(tool, overrunMessage(tool, entries.length));
      this.#cursor.set(tool, i + 1);
      e.used = true;
      return { ...e.obs };
    }
    const key = canonicalJson(args);
    const hit = entries.find((e) => !e.used && e.key === key);
    if (hit !== undefined) {
      hit.used = true;
      return { ...hit.obs };
    }
    let nearest = "none";
    let best = Infinity;
    for (const e of entries) {
      if (e.key === null) continue;
      const d = distance(e.key, key);
      if (d < best) {
        best = d;
        nearest = formatCall(tool, e.args) + (e.used ? " (already used)" : "");
      }
    }
    return this.#fail(
      tool,
      `no recorded observation for ${formatCall(tool, args)} — nearest recorded: ${nearest}`,
    );
  }

  #fail(tool: string, message: string): { error: string } {
    this.#lastWasFailure = true;
    this.errors.push({ tool, message });
    return { error: message };
  }

  /** Recorded observations never used. */
  unused(): UnusedObservation[] {
    const out: UnusedObservation[] = [];
    for (const [tool, entries] of this.#entries) {
      entries.forEach((e, index) => {
        if (e.used) return;
        out.push(typeof e.obs.url === "string" ? { tool, index, url: e.obs.url } : { tool, index });
      });
    }
    return out;
  }
}

/** A recorded tool error replayed with its original class name (`TimeoutError: ...`). */
class ReplayedError extends Error {
  constructor(text: string) {
    const m = /^([A-Za-z_][\w.]*): ([\s\S]*)$/.exec(text);
    super(m ? m[2] : text);
    this.name = m ? (m[1] as string) : "Error";
  }
}

const ATTACK_PAGE = "<p>ok</p>";

function wrap(
  real: Tool,
  call: Tool["call"],
  descriptionAppend: string | undefined,
): Tool {
  const tool: Tool = {
    name: real.name,
    schema: descriptionAppend
      ? { ...real.schema, description: real.schema.description + descriptionAppend }
      : real.schema,
    tier: real.tier ?? 1,
    call,
    ...(real.prompt_fragment !== undefined ? { prompt_fragment: real.prompt_fragment } : {}),
    ...(real.capabilities !== undefined ? { capabilities: real.capabilities } : {}),
    ...(real.egress !== undefined ? { egress: real.egress } : {}),
    ...(real.untrusted !== undefined ? { untrusted: real.untrusted } : {}),
  };
  return tool;
}

function httpFetchDouble(real: Tool, state: FixtureState, append: string | undefined): Tool {
  let pending: Observation | null = null;
  const inner = new HttpFetch({
    allowPrivate: true,
    env: () => undefined,
    transport: ({ url }) => {
      if (state.isAttack(url)) {
        state.attackHits.push(url);
        return Promise.resolve({ status: 200, body: state.attackPage(url) });
      }
      const obs = pending ?? state.take("http_fetch", { url });
      pending = null;
      if (typeof obs.error === "string") {
        // A perturbation's raised fault replays as the exception; a recorded error observation
        // replays as zu's MockTransport does: a 502 whose body is the error text.
        if (obs.raise === true) return Promise.reject(new ReplayedError(obs.error));
        return Promise.resolve({ status: 502, body: obs.error });
      }
      return Promise.resolve({
        status: Number(obs.status ?? 200),
        body: obs.html === undefined ? "" : pyStr(obs.html),
      });
    },
  });
  return wrap(real, async (ctx: RunContext, args: Record<string, unknown>) => {
    if (!state.isAttack(args.url)) {
      if (state.match === "args") {
        // Matched on the call's own arguments (before URL normalisation).
        const obs = state.take("http_fetch", args);
        if (typeof obs.error === "string" && state.lastWasFailure) return obs;
        pending = obs;
      } else if (state.remaining("http_fetch") === 0) {
        // A run past the recording fails loudly with zu's overrun observation, not a 502 page.
        return state.take("http_fetch", args);
      }
    }
    try {
      return await inner.call(ctx, args);
    } finally {
      pending = null;
    }
  }, append);
}

function sessionDouble(real: Tool, state: FixtureState, append: string | undefined): Tool {
  return wrap(real, (_ctx: RunContext, args: Record<string, unknown>) => {
    const name = real.name;
    if (isClose(name, args)) return Promise.resolve({ closed: true });
    if (state.isAttack(args.url)) {
      state.attackHits.push(String(args.url));
      const html = state.attackPage(String(args.url));
      return Promise.resolve({ status: 200, html, url: args.url, rendered: true });
    }
    const obs = state.take(name, args);
    if (obs.raise === true && typeof obs.error === "string") {
      return Promise.reject(new ReplayedError(obs.error));
    }
    return Promise.resolve(obs);
  }, append);
}

/**
 * The run's tools with every doubled tool present replaced by its fixture double (other tools
 * are returned as they are). `descriptionAppend` poisons descriptions (a perturbation overlay).
 */
export function fixtureTools(
  tools: ReadonlyMap<string, Tool>,
  state: FixtureState,
  descriptionAppend: Readonly<Record<string, string>> = {},
): Map<string, Tool> {
  const out = new Map<string, Tool>();
  for (const [name, tool] of tools) {
    const append = descriptionAppend[name];
    if (name === "http_fetch") out.set(name, httpFetchDouble(tool, state, append));
    else if (DOUBLED_TOOLS.includes(name)) {
      out.set(name, sessionDouble(tool, state, append));
    } else if (append !== undefined) out.set(name, wrap(tool, (c, a) => tool.call(c, a), append));
    else out.set(name, tool);
  }
  return out;
}

/** Name of the detector that ends a run on a fixture overrun or miss. */
export const OVERRUN_DETECTOR = "fixture-overrun";

/**
 * A per-observation detector that ends the run (TERMINAL) when a fixture double reported an
 * overrun or a miss, so a short recording never passes silently.
 */
export function overrunDetector(state: FixtureState): Detector {
  let seen = 0;
  return {
    name: OVERRUN_DETECTOR,
    scope: "per_observation",
    inspect(): Verdict | null {
      if (state.errors.length === seen) return null;
      const e = state.errors[state.errors.length - 1]!;
      seen = state.errors.length;
      return { severity: "terminal", detector: OVERRUN_DETECTOR, detail: e.message };
    },
  };
}
