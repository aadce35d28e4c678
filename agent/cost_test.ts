import { deepStrictEqual, equal } from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import { priceOf, summarizeCost } from "./cost.ts";

const turn = (model: string | null, usage: Record<string, unknown>) =>
  newEvent({ task_id: "t", type: "harness.turn.completed", payload: { model, usage } });

Deno.test("summarizeCost sums both usage spellings and prices by model substring", () => {
  const s = summarizeCost([
    newEvent({ task_id: "t", type: "harness.turn.started", payload: { step: 1, replay: true } }),
    turn("gpt-4o-mini-2024", { input_tokens: 1_000_000, output_tokens: 0 }),
    turn("gpt-4o-mini-2024", { prompt_tokens: 0, completion_tokens: 1_000_000 }),
  ]);
  deepStrictEqual(s, {
    model_calls: 2,
    input_tokens: 1_000_000,
    output_tokens: 1_000_000,
    replay_steps: 1,
    model_calls_saved: 1,
    model: "gpt-4o-mini-2024",
    usd: 0.75,
  });
});

Deno.test("summarizeCost gives usd null for an unknown model", () => {
  equal(summarizeCost([turn(null, { input_tokens: 5 })]).usd, null);
  equal(summarizeCost([turn("llama-3", {})]).usd, null);
  deepStrictEqual(priceOf("claude-sonnet-4"), [3, 15]);
  deepStrictEqual(priceOf("gpt-4-turbo"), [30, 60]);
});
