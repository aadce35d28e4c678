import type { EventSinkConfig } from "../core/types.ts";
import { type ConformanceContext, runSinkConformance } from "./conformance.ts";
import { FanoutSink } from "./fanout_sink.ts";
import { openSink, openSinks } from "./open_sink.ts";
import { sinkRegistry } from "./registry.ts";

// Every driver, opened from an agent-file block through the registry, passes the shared sink
// suite: signing (sign_key_env), ctx filters (filter_fields) and the rest behave as when the
// sink is built by hand.

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function block(driver: string, ctx: ConformanceContext): EventSinkConfig {
  const options: Record<string, unknown> = {};
  if (ctx.signKey) options.sign_key_env = "ZU_CONFORMANCE_SIGN_KEY";
  if (ctx.filterFields) options.filter_fields = ctx.filterFields;
  return {
    driver,
    path: sinkRegistry.get(driver).defaultPath === null ? null : `log-${driver}`,
    encryption: "none",
    options,
  };
}

function env(ctx: ConformanceContext) {
  return (k: string) =>
    k === "ZU_CONFORMANCE_SIGN_KEY" && ctx.signKey ? hex(ctx.signKey) : undefined;
}

for (const driver of sinkRegistry.names()) {
  // postgres needs a server: sinks/postgres/postgres_conformance_test.ts opens it through openSink.
  if (driver === "postgres") continue;
  runSinkConformance(
    `openSink("${driver}")`,
    (ctx) => openSink(block(driver, ctx), { dir: ctx.dir, env: env(ctx) }),
  );
}

runSinkConformance("FanoutSink (sqlite event_sink + jsonl trace_sink)", async (ctx) => {
  const sink = await openSinks(
    {
      event_sink: block("sqlite", ctx),
      trace_sinks: [{ driver: "jsonl", path: "trace.jsonl", encryption: "none", options: {} }],
    },
    { dir: ctx.dir, env: env(ctx) },
  );
  if (!(sink instanceof FanoutSink)) throw new TypeError("expected a FanoutSink");
  return sink;
});
