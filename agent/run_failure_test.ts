import { equal, ok } from "node:assert/strict";
import { EventBus } from "../core/bus.ts";
import { type ModelRequest, type ModelResponse, newTaskSpec } from "../core/contracts.ts";
import {
  Interrupted,
  ProviderAuthError,
  ProviderUnavailable,
  RunFailure,
  UserError,
} from "../core/errors.ts";
import { TASK_STARTED, TASK_TERMINAL } from "../core/events.ts";
import type { ModelProvider } from "../core/types.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { runTask } from "./loop.ts";

const PLUGINS = { tools: new Map(), detectors: new Map(), validators: new Map(), gates: new Map() };

function failingProvider(err: unknown): ModelProvider {
  return {
    capabilities: { native_tools: true, vision: false, max_context: 1000 },
    model: "failing",
    complete: (_r: ModelRequest): Promise<ModelResponse> => Promise.reject(err),
  };
}

async function eventsAfter(
  err: unknown,
): Promise<{ thrown: unknown; types: string[]; last: Record<string, unknown> }> {
  const sink = new MemorySink();
  let thrown: unknown = null;
  await runTask(newTaskSpec({ query: "q" }), failingProvider(err), PLUGINS, new EventBus(sink))
    .catch((e) => (thrown = e));
  const events = await sink.query();
  return {
    thrown,
    types: events.map((e) => e.type),
    last: events.at(-1)!.payload as Record<string, unknown>,
  };
}

Deno.test("a run the model API fails ends with a terminal event and rethrows the RunFailure", async () => {
  const err = new ProviderUnavailable("Cannot complete: the API is unreachable after 3 attempts");
  const { thrown, types, last } = await eventsAfter(err);
  equal(thrown, err);
  equal(types[0], TASK_STARTED);
  equal(types.at(-1), TASK_TERMINAL);
  equal(types.filter((t) => t === TASK_TERMINAL).length, 1);
  equal(last.reason, "error:provider_unavailable");
  equal(last.error, err.message);
});

Deno.test("a user error that ends a run (a rejected key) also writes the terminal event", async () => {
  const { thrown, types, last } = await eventsAfter(
    new ProviderAuthError('Cannot complete: the API refused the credentials (check "KEY")'),
  );
  ok(thrown instanceof UserError);
  equal(types.at(-1), TASK_TERMINAL);
  equal(last.reason, "error:provider_auth");
});

Deno.test("an interrupted run ends with a terminal event naming the interruption", async () => {
  const { thrown, last } = await eventsAfter(new Interrupted());
  ok(thrown instanceof RunFailure);
  equal(last.reason, "error:interrupted");
});

Deno.test("a bug that escapes a run writes no terminal event", async () => {
  const { thrown, types } = await eventsAfter(new TypeError("boom"));
  ok(thrown instanceof TypeError);
  ok(!types.includes(TASK_TERMINAL), types.join(", "));
});
