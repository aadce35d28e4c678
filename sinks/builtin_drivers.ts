/**
 * The built-in sink drivers — `sqlite` (the canonical, durable log), `postgres` (one log for many
 * hosts), `jsonl` (a greppable trace) and `memory` — and the one place their names are written. Each `open` imports its driver only
 * when called.
 *
 * @example
 * ```ts
 * import { builtinSinkDrivers } from "./builtin_drivers.ts";
 * console.assert(builtinSinkDrivers().map((d) => d.name).includes("jsonl"));
 * ```
 * @module
 */
import type { SinkDriver, SinkOptionKind } from "./sink_driver.ts";

const COMMON: Readonly<Record<string, SinkOptionKind>> = Object.freeze({
  sign_key_env: "string",
  filter_fields: "string_list",
});

/** Fresh descriptors of the built-in drivers (register them into a {@link SinkRegistry}). */
export function builtinSinkDrivers(): SinkDriver[] {
  return [
    {
      name: "sqlite",
      summary: "SQLite file (zu's schema): the canonical, durable, optionally encrypted log",
      defaultPath: ".zu/events.db",
      extensions: ["*"],
      encryption: true,
      options: { ...COMMON, busy_timeout_ms: "int>=0", max_batch: "int>=1" },
      open: async (path, o) => {
        const { SqliteSink } = await import("./sqlite/mod.ts");
        return new SqliteSink(path ?? ":memory:", {
          ...(o.codec ? { codec: o.codec } : {}),
          ...(o.readCodecs ? { readCodecs: o.readCodecs } : {}),
          ...(o.signKey ? { signKey: o.signKey } : {}),
          ...(o.filterFields ? { filterFields: o.filterFields } : {}),
          ...(o.busyTimeoutMs !== undefined ? { busyTimeoutMs: o.busyTimeoutMs } : {}),
          ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
        });
      },
    },
    {
      name: "postgres",
      summary: "PostgreSQL server (URL from the environment): one log for many writers and hosts",
      defaultPath: null,
      extensions: [],
      encryption: true,
      refused: {
        url:
          "must not be written in the agent file (it holds the password): export the URL in an environment variable and name it with options.url_env (default ZU_PG_URL)",
      },
      options: {
        ...COMMON,
        url_env: "string",
        schema: "string",
        notify: "bool",
        ssl: "string",
        ca_file: "string",
        max_batch: "int>=1",
      },
      open: async (_path, o) => {
        const { openPostgresSink } = await import("./postgres/open_postgres_sink.ts");
        return await openPostgresSink(o);
      },
    },
    {
      name: "jsonl",
      summary: "JSON lines file: a plain-text trace for log shippers",
      defaultPath: ".zu/events.jsonl",
      extensions: [".jsonl"],
      encryption: false,
      options: { ...COMMON, durable: "bool" },
      open: async (path, o) => {
        const { JsonlSink } = await import("./jsonl/mod.ts");
        return new JsonlSink(path ?? "./zu-trace.jsonl", {
          ...(o.signKey ? { signKey: o.signKey } : {}),
          ...(o.filterFields ? { filterFields: o.filterFields } : {}),
          ...(o.durable !== undefined ? { durable: o.durable } : {}),
        });
      },
    },
    {
      name: "memory",
      summary: "In this process only: nothing is kept after the run",
      defaultPath: null,
      extensions: [],
      fallback: true,
      encryption: false,
      options: { ...COMMON },
      open: async (_path, o) => {
        const { MemorySink } = await import("./memory/mod.ts");
        return new MemorySink({
          ...(o.signKey ? { signKey: o.signKey } : {}),
          ...(o.filterFields ? { filterFields: o.filterFields } : {}),
        });
      },
    },
  ];
}
