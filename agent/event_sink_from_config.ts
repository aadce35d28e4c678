/**
 * `eventSinkFromConfig`: turns an agent file's `event_sink` (or a `trace_sinks` entry) into a
 * factory that opens the sink. The sink module and the codec are imported only when the factory
 * is called, so choosing JSONL never loads SQLite.
 *
 * @example
 * ```ts ignore
 * import { eventSinkFromConfig } from "./event_sink_from_config.ts";
 * const open = eventSinkFromConfig({ driver: "sqlite", path: ".zu/events.db", encryption: "none", options: {} }, "./my-agent");
 * await using sink = await open();
 * ```
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import type { EventSink } from "../core/types.ts";
import type { EventSinkConfig } from "./_config_types.ts";
import { safeEnv as realEnv } from "../core/env.ts";
import type { EnvReader as EnvFn } from "../core/types.ts";

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split("\n")[0] ?? msg).trim();
}

/** Opens an event sink when called. */
export type EventSinkFactory = () => Promise<EventSink>;

/** Options of {@link eventSinkFromConfig}. */
export interface EventSinkFromConfigOptions {
  /** Environment reader for encryption keys. Default: the real environment. */
  env?: EnvFn;
}

/** Default file of each driver, relative to the agent directory. */
export const DEFAULT_SINK_PATHS: Readonly<Record<string, string>> = Object.freeze({
  sqlite: ".zu/events.db",
  jsonl: ".zu/events.jsonl",
});

/** Sink options an agent file may set, zu-style names to ours. */
export const SINK_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  busy_timeout_ms: "busyTimeoutMs",
  max_batch: "maxBatch",
  filter_fields: "filterFields",
  durable: "durable",
  sign_key_env: "signKey",
});

async function sinkOptions(cfg: EventSinkConfig, env: EnvFn): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg.options)) {
    const name = SINK_OPTION_NAMES[k];
    if (name === undefined) continue;
    if (k === "sign_key_env") {
      const raw = typeof v === "string" ? env(v) : undefined;
      if (raw === undefined || raw === "") {
        throw new UserError(
          "config_invalid",
          `Cannot open event sink "${cfg.driver}": signing key variable ${
            JSON.stringify(v)
          } is not set`,
        );
      }
      const { decodeKey } = await import("../sinks/encryption/decode_key.ts");
      out[name] = decodeKey(raw, String(v));
    } else {
      out[name] = v;
    }
  }
  return out;
}

/**
 * A factory that opens the sink `cfg` describes; the sink module and the codec are imported
 * only when it is called. Paths are relative to `agentDir`; parent directories are created.
 */
export function eventSinkFromConfig(
  cfg: EventSinkConfig,
  agentDir: string,
  options: EventSinkFromConfigOptions = {},
): EventSinkFactory {
  return async () => {
    const env = options.env ?? realEnv;
    const extra = await sinkOptions(cfg, env);
    let codec: unknown = undefined;
    if (cfg.encryption !== "none") {
      const { createCodec } = await import("../sinks/encryption/create_codec.ts");
      try {
        codec = createCodec(cfg.encryption, { env });
      } catch (e) {
        throw new UserError(
          "config_invalid",
          `Cannot open event sink "${cfg.driver}" with encryption "${cfg.encryption}": ${
            errorText(e)
          }`,
        );
      }
    }
    const withCodec = codec === undefined ? extra : { ...extra, codec };
    if (cfg.driver === "memory") {
      const { MemorySink } = await import("../sinks/memory/mod.ts");
      return new MemorySink(extra);
    }
    const rel = cfg.path ?? DEFAULT_SINK_PATHS[cfg.driver];
    if (rel === undefined) {
      throw new UserError(
        "config_invalid",
        `Cannot open event sink "${cfg.driver}": unknown driver`,
      );
    }
    const path = rel === ":memory:" ? rel : isAbsolute(rel) ? rel : resolve(agentDir, rel);
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    if (cfg.driver === "sqlite") {
      const { SqliteSink } = await import("../sinks/sqlite/mod.ts");
      return new SqliteSink(path, withCodec);
    }
    if (cfg.driver === "jsonl") {
      const { JsonlSink } = await import("../sinks/jsonl/mod.ts");
      return new JsonlSink(path, extra);
    }
    throw new UserError("config_invalid", `Cannot open event sink "${cfg.driver}": unknown driver`);
  };
}
