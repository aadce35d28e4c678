import { deepStrictEqual, equal } from "node:assert/strict";
import { runScenario } from "./run_scenario.ts";

const SCENARIO = {
  task_id: "11111111-2222-5333-8444-555555555555",
  query: "q",
  target: null,
  output_schema: {},
  budget: {
    max_steps: 10,
    max_tokens: 1000,
    wall_time_s: 60,
    max_tool_calls: 4,
    settle_ms_max: 0,
    stale_retries_max: 2,
  },
  max_tier: 2,
  containment: "audit",
  moves: [
    { tool: "seq", args: {} },
    { tool: "seq", args: {} },
    { tool: "seq", args: {} },
    { tool: "missing_key", args: {} },
    { text: '{"ok": true}' },
  ],
  tools: {
    seq: {
      tier: 1,
      capabilities: [],
      egress: [],
      parameters: { type: "object", properties: {} },
      behaviour: {
        kind: "sequence",
        observations: [{ text: "one" }, { text: "two" }],
        overrun: { error: "overrun" },
      },
    },
    missing_key: {
      tier: 1,
      parameters: { type: "object", properties: {} },
      behaviour: { kind: "raise", error_class: "KeyError", message: "price" },
    },
  },
  detectors: ["empty", "error"],
  validators: ["schema", "grounding"],
};

Deno.test("runScenario plays sequence tools and prints a KeyError the Python way", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/scenario.json`, JSON.stringify(SCENARIO));
    const { result, events } = await runScenario(dir);
    deepStrictEqual(result, { status: "success", value: { ok: true }, reason: null });
    const observations = events.filter((e) => e.type === "harness.tool.returned").map((e) =>
      e.payload.observation
    );
    deepStrictEqual(observations, [{ text_len: 3 }, { text_len: 3 }, { error: "overrun" }, {
      error: "KeyError: 'price'",
    }]);
    equal(events.filter((e) => e.type === "data.source.fetched").length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
