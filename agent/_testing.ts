/**
 * Test helpers for the loop's tests: a fixture tool, a recording provider, a stepping clock and a
 * fresh bus over an in-memory sink.
 *
 * @module
 */
import { EventBus } from "../core/bus.ts";
import type { ModelRequest, ModelResponse } from "../core/contracts.ts";
import type { Event } from "../core/events.ts";
import type { Clock, ModelProvider, RunContext, RunPlugins, Tool } from "../core/types.ts";
import { MemorySink } from "../sinks/memory/mod.ts";

/** Options of {@link fixtureTool}. */
export interface FixtureToolOptions {
  tier?: number;
  capabilities?: string[];
  egress?: string[];
  untrusted?: boolean;
  parameters?: Record<string, unknown>;
  promptFragment?: string;
}

/** A tool that answers with `fn(args, ctx)`. */
export function fixtureTool(
  name: string,
  fn: (args: Record<string, unknown>, ctx: RunContext) => unknown,
  options: FixtureToolOptions = {},
): Tool {
  return {
    name,
    schema: {
      name,
      description: name,
      parameters: options.parameters ?? { type: "object", properties: {} },
    },
    prompt_fragment: options.promptFragment ?? `${name}(): a fixture`,
    tier: options.tier ?? 1,
    capabilities: new Set(options.capabilities ?? []),
    egress: new Set(options.egress ?? []),
    ...(options.untrusted !== undefined ? { untrusted: options.untrusted } : {}),
    call: async (ctx, args) => (await fn(args, ctx)) as Record<string, unknown>,
  };
}

/** A provider that answers from a list and records every request. */
export class RecordingProvider implements ModelProvider {
  readonly capabilities = { native_tools: true, vision: false, max_context: 128000 };
  readonly model: string | null;
  readonly requests: ModelRequest[] = [];
  #answers: ModelResponse[];
  constructor(answers: ModelResponse[], model: string | null = "fixture-model") {
    this.#answers = answers;
    this.model = model;
  }
  complete(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(structuredClone(request));
    return Promise.resolve(
      this.#answers.shift() ?? { text: null, tool_calls: [], finish: "stop", usage: {} },
    );
  }
}

/** A text answer. */
export function say(text: string | null, usage: Record<string, unknown> = {}): ModelResponse {
  return { text, tool_calls: [], finish: "stop", usage };
}

/** A tool-call answer. */
export function call(
  name: string,
  args: Record<string, unknown> = {},
  usage: Record<string, unknown> = {},
): ModelResponse {
  return { text: null, tool_calls: [{ name, args }], finish: "tool_calls", usage };
}

/** A clock whose monotonic time only moves when told to. */
export class ManualClock implements Clock {
  ms = 0;
  now(): Date {
    return new Date(Date.UTC(2026, 0, 1) + this.ms);
  }
  monotonic(): number {
    return this.ms;
  }
}

/** A bus over a fresh MemorySink, with the published events collected. */
export function collectingBus(): { bus: EventBus; events: Event[] } {
  const bus = new EventBus(new MemorySink());
  const events: Event[] = [];
  bus.subscribe((e) => {
    events.push(e);
  });
  return { bus, events };
}

/** Plugins from tools (and optional checks). */
export function plugins(
  tools: Tool[],
  extra: Partial<RunPlugins> = {},
): RunPlugins {
  return {
    tools: new Map(tools.map((t) => [t.name, t])),
    detectors: extra.detectors ?? new Map(),
    validators: extra.validators ?? new Map(),
    gates: extra.gates ?? new Map(),
  };
}
