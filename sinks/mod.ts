/**
 * Event sinks from configuration: the driver registry (`sqlite`, `jsonl`, `memory`, and any
 * driver registered next), the opener every entry point uses, and the fan-out that attaches
 * trace sinks. Importing this module loads no driver: each is imported when opened.
 *
 * @example
 * ```ts
 * import { openSink, sinkRegistry } from "./mod.ts";
 * console.assert(sinkRegistry.names().includes("sqlite"));
 * await using sink = await openSink(
 *   { driver: "sqlite", path: ":memory:", encryption: "none", options: { max_batch: 100 } },
 *   { dir: "." },
 * );
 * console.assert((await sink.count()) === 0);
 * ```
 * @module
 */
export { createSinkRegistry, SinkRegistry, sinkRegistry } from "./registry.ts";
export type { SinkDriver, SinkOpenOptions, SinkOptionKind } from "./sink_driver.ts";
export { builtinSinkDrivers } from "./builtin_drivers.ts";
export {
  checkSinkConfig,
  openSink,
  openSinks,
  sinkConfigForPath,
  sinkPath,
  withSinkPath,
} from "./open_sink.ts";
export type { OpenSinkOptions, OpenSinksOptions, SinkSettings } from "./open_sink.ts";
export { openEventBus } from "./open_event_bus.ts";
export type { OpenEventBusOptions } from "./open_event_bus.ts";
export { FanoutSink } from "./fanout_sink.ts";
export type { FanoutSinkOptions, TraceSinkFailure } from "./fanout_sink.ts";
export { decodeSignKey, MIN_SIGN_KEY_BYTES } from "./sign_key.ts";
export {
  isPostgresUrl,
  POSTGRES_JS_ENV,
  postgresEndpoint,
  postgresGrants,
  postgresJsTarget,
} from "./postgres_grants.ts";
export type { PostgresEndpoint, PostgresGrant, PostgresGrantsOptions } from "./postgres_grants.ts";
export { DEFAULT_PG_URL_ENV, postgresUrlEnv, sinkHostGrants } from "./sink_grants.ts";
export type { SinkHostGrants } from "./sink_grants.ts";
export { copyEvents } from "./copy_events.ts";
export type { CopyEventsOptions, CopyEventsReport } from "./copy_events.ts";
export type {
  EventSinkConfig,
  SinkConfigProblem,
  SinkDriverCatalog,
  SinkRole,
} from "../core/types.ts";
