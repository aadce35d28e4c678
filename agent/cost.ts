/**
 * `summarizeCost(events)`: token usage, model calls, replay savings and an estimated price, zu's
 * `cost.py`.
 *
 * @example
 * ```ts
 * import { summarizeCost } from "./cost.ts";
 * import { newEvent } from "../core/events.ts";
 * const e = newEvent({ task_id: "t", type: "harness.turn.completed", payload: { model: "gpt-4o", usage: { input_tokens: 1000000, output_tokens: 0 } } });
 * console.assert(summarizeCost([e]).usd === 2.5);
 * ```
 * @module
 */
import type { Event } from "../core/events.ts";
import { TURN_COMPLETED, TURN_STARTED } from "../core/events.ts";

/** USD per 1M tokens (input, output), matched by substring in this order. */
export const PRICES: readonly (readonly [string, number, number])[] = Object.freeze(
  [
    ["claude-opus", 15, 75],
    ["claude-sonnet", 3, 15],
    ["claude-haiku", 0.8, 4],
    ["gpt-4o-mini", 0.15, 0.6],
    ["gpt-4o", 2.5, 10],
    ["gpt-4", 30, 60],
  ] as const,
);

/** A run's cost summary. */
export interface CostSummary {
  /** Model turns (turn.completed events). */
  model_calls: number;
  /** Input tokens (`input_tokens` or `prompt_tokens`). */
  input_tokens: number;
  /** Output tokens (`output_tokens` or `completion_tokens`). */
  output_tokens: number;
  /** Replayed steps (turn.started with `replay: true`). */
  replay_steps: number;
  /** Model calls a replay saved (= `replay_steps`). */
  model_calls_saved: number;
  /** The (last) model id seen, or null. */
  model: string | null;
  /** Estimated USD, or null when a model is unknown. */
  usd: number | null;
}

/** USD per 1M tokens for a model id, or null when unknown. */
export function priceOf(model: string | null): readonly [number, number] | null {
  if (model === null) return null;
  const m = model.toLowerCase();
  for (const [needle, inp, out] of PRICES) if (m.includes(needle)) return [inp, out];
  return null;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Sums usage over `harness.turn.completed` and prices it. */
export function summarizeCost(events: Iterable<Event>): CostSummary {
  let calls = 0;
  let input = 0;
  let output = 0;
  let replay = 0;
  let model: string | null = null;
  let usd: number | null = 0;
  for (const e of events) {
    if (e.type === TURN_STARTED && e.payload.replay === true) replay++;
    if (e.type !== TURN_COMPLETED) continue;
    calls++;
    const usage = (e.payload.usage ?? {}) as Record<string, unknown>;
    const i = num(usage.input_tokens ?? usage.prompt_tokens);
    const o = num(usage.output_tokens ?? usage.completion_tokens);
    input += i;
    output += o;
    const m = typeof e.payload.model === "string" ? e.payload.model : null;
    if (m !== null) model = m;
    const price = priceOf(m);
    if (price === null) usd = null;
    else if (usd !== null) usd += (i * price[0] + o * price[1]) / 1_000_000;
  }
  if (usd !== null) usd = Math.round(usd * 1e6) / 1e6;
  return {
    model_calls: calls,
    input_tokens: input,
    output_tokens: output,
    replay_steps: replay,
    model_calls_saved: replay,
    model,
    usd,
  };
}
