/**
 * `ScriptedProvider`: a model that plays back a fixed list of moves, zu's format. Used by offline
 * replay, the compat scenarios and tests.
 *
 * @example
 * ```ts
 * import { ScriptedProvider } from "./scripted.ts";
 * const p = ScriptedProvider.fromMoves([{ tool: "lookup", args: { q: "x" } }, { text: "{}" }]);
 * const r = await p.complete({ messages: [], tools: [], params: {} });
 * console.assert(r.finish === "tool_calls" && r.tool_calls[0]?.name === "lookup");
 * ```
 * @module
 */
import type { Capabilities, Finish, ModelRequest, ModelResponse } from "../../core/contracts.ts";
import type { ModelProvider } from "../../core/types.ts";
import { jsonClone } from "../../core/json_clone.ts";

/** One scripted move: a tool call, or a text reply. */
export type Move =
  | { tool: string; args?: Record<string, unknown>; usage?: Record<string, unknown> }
  | { text?: string | null; finish?: Finish; usage?: Record<string, unknown> };

const TOOL_KEYS = new Set(["tool", "args", "usage"]);
const TEXT_KEYS = new Set(["text", "finish", "usage"]);
const FINISHES = new Set(["stop", "tool_calls", "length"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function toResponse(move: Record<string, unknown>, index: number): ModelResponse {
  const where = `Cannot use scripted move ${index}`;
  if (!isObject(move)) throw new TypeError(`${where}: it must be an object`);
  const isTool = "tool" in move;
  const allowed = isTool ? TOOL_KEYS : TEXT_KEYS;
  for (const k of Object.keys(move)) {
    if (!allowed.has(k)) throw new TypeError(`${where}: key "${k}" is not allowed`);
  }
  const usage = move.usage === undefined ? {} : move.usage;
  if (!isObject(usage)) throw new TypeError(`${where}: "usage" must be an object`);
  if (isTool) {
    if (typeof move.tool !== "string" || move.tool === "") {
      throw new TypeError(`${where}: "tool" must be a non-empty string`);
    }
    const args = move.args === undefined ? {} : move.args;
    if (!isObject(args)) throw new TypeError(`${where}: "args" must be an object`);
    return { text: null, tool_calls: [{ name: move.tool, args }], finish: "tool_calls", usage };
  }
  if (Object.keys(move).length === 0) throw new TypeError(`${where}: it is empty`);
  const text = move.text ?? null;
  if (text !== null && typeof text !== "string") {
    throw new TypeError(`${where}: "text" must be a string`);
  }
  const finish = move.finish ?? "stop";
  if (typeof finish !== "string" || !FINISHES.has(finish)) {
    throw new TypeError(`${where}: "finish" must be one of "stop", "tool_calls", "length"`);
  }
  return { text, tool_calls: [], finish: finish as Finish, usage };
}

/** A provider that answers with the next scripted move and ignores the request. */
export class ScriptedProvider implements ModelProvider {
  /** Native tools, no vision, 128k context (zu's defaults). */
  readonly capabilities: Capabilities = { native_tools: true, vision: false, max_context: 128000 };
  /** Always null: a script is not a model. */
  readonly model: string | null = null;
  #responses: ModelResponse[];
  #next = 0;

  /** Use {@link ScriptedProvider.fromMoves}. */
  constructor(responses: readonly ModelResponse[]) {
    this.#responses = responses.map((r) => jsonClone(r));
  }

  /**
   * Builds a provider from zu's move list. A move is `{tool, args?, usage?}` (one tool call) or
   * `{text?, finish? = "stop", usage?}`; any other key is a `TypeError` naming it.
   */
  static fromMoves(moves: readonly Record<string, unknown>[]): ScriptedProvider {
    if (!Array.isArray(moves)) {
      throw new TypeError("Cannot script a provider: moves must be a list");
    }
    return new ScriptedProvider(moves.map((m, i) => toResponse(jsonClone(m), i)));
  }

  /** True when every move has been played. */
  get exhausted(): boolean {
    return this.#next >= this.#responses.length;
  }

  /** Moves played so far. */
  get played(): number {
    return this.#next;
  }

  /**
   * Skips the first `played` moves: a run resumed in another process (`resumeTask`) already
   * played them before it paused.
   */
  resumeAfter(played: number): void {
    this.#next = Math.max(this.#next, Math.min(played, this.#responses.length));
  }

  /** A deep copy of the next move; after the last one, `{text: null, finish: "stop"}`. */
  complete(_request: ModelRequest, _signal?: AbortSignal): Promise<ModelResponse> {
    const r = this.#responses[this.#next];
    if (r === undefined) {
      return Promise.resolve({ text: null, tool_calls: [], finish: "stop", usage: {} });
    }
    this.#next++;
    return Promise.resolve(jsonClone(r));
  }
}
