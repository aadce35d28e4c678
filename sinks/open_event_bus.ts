/**
 * `openEventBus`: an {@link EventBus} over an agent file's sinks, for a run in this process —
 * the canonical `event_sink` is the bus's store, and every `trace_sinks` entry is added as an
 * isolated destination (DESIGN §4: append first, then notify; a failing trace sink lands in
 * `bus.subscriberFailures` and never fails the run). Opened through {@link openSinks}, so every
 * key is checked and honoured the same way.
 *
 * @example
 * ```ts
 * import { openEventBus } from "./open_event_bus.ts";
 * import { newEvent } from "../core/events.ts";
 * const dir = await Deno.makeTempDir();
 * const bus = await openEventBus(
 *   {
 *     event_sink: null,
 *     trace_sinks: [{ driver: "jsonl", path: "trace.jsonl", encryption: "none", options: {} }],
 *   },
 *   { dir },
 * );
 * await bus.publish(newEvent({ task_id: "t", type: "harness.task.started" }));
 * await bus.close();
 * console.assert((await Deno.readTextFile(`${dir}/trace.jsonl`)).includes("harness.task.started"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { EventBus } from "../core/bus.ts";
import { FanoutSink } from "./fanout_sink.ts";
import { openSinks, type OpenSinksOptions, type SinkSettings } from "./open_sink.ts";

/** Options of {@link openEventBus} (trace sink failures are in `bus.subscriberFailures`). */
export type OpenEventBusOptions = Omit<OpenSinksOptions, "onTraceFailure" | "mode">;

/** Opens the sinks of `settings` and returns a bus over them; closing the bus closes them. */
export async function openEventBus(
  settings: SinkSettings,
  options: OpenEventBusOptions,
): Promise<EventBus> {
  const sink = await openSinks(settings, options);
  if (!(sink instanceof FanoutSink)) return new EventBus(sink);
  const bus = new EventBus(sink.canonical);
  for (const t of sink.traces) bus.addDestination(t);
  return bus;
}
