/**
 * `SinkDriver`: what the sink driver registry holds for each driver — the keys an agent file may
 * set for it (data, checked without loading anything) and an `open` that imports the driver's
 * module only when called, so choosing JSONL never loads SQLite.
 *
 * @example
 * ```ts
 * import type { SinkDriver } from "./sink_driver.ts";
 * const nullDriver: SinkDriver = {
 *   name: "null",
 *   summary: "Drops every event",
 *   defaultPath: null,
 *   extensions: [],
 *   encryption: false,
 *   options: {},
 *   open: async () => {
 *     const { MemorySink } = await import("./memory/mod.ts");
 *     return new MemorySink();
 *   },
 * };
 * console.assert(nullDriver.defaultPath === null);
 * ```
 * @module
 */
import type { EnvReader, EventSink, PayloadCodec } from "../core/types.ts";

/**
 * The kind of an option value: `string`, a list of strings, a boolean, or a whole number with
 * a lower bound (`int>=0`, `int>=1`).
 */
export type SinkOptionKind = "string" | "string_list" | "bool" | "int>=0" | "int>=1";

/** Everything a driver is opened with, resolved from its block (keys decoded, paths absolute). */
export interface SinkOpenOptions {
  /** Codec for new rows (from `encryption`), for a driver that supports one. */
  codec?: PayloadCodec;
  /** Codecs to read older rows with (every key in the environment). */
  readCodecs?: readonly PayloadCodec[];
  /** HMAC key (from `options.sign_key_env`): linked events get `sig`. */
  signKey?: Uint8Array;
  /** ctx fields to index and filter on (`options.filter_fields`). */
  filterFields?: readonly string[];
  /** `options.busy_timeout_ms`. */
  busyTimeoutMs?: number;
  /** `options.max_batch`. */
  maxBatch?: number;
  /** `options.durable`. */
  durable?: boolean;
  /**
   * The environment the block is read against (the opener's `env`): a driver that takes a
   * variable's name (`url_env`) reads it here, never from `Deno.env` directly.
   */
  env?: EnvReader;
  /** The agent directory relative files of the block resolve against. */
  dir?: string;
  /** Declared options outside the list above, as the agent file wrote them. */
  extra?: Readonly<Record<string, unknown>>;
}

/** One registered sink driver. */
export interface SinkDriver {
  /** The name agent files use in `driver:`. */
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly summary: string;
  /** Default file relative to the agent directory, or null for a driver without a file. */
  readonly defaultPath: string | null;
  /** File extensions (lower case, with the dot) that pick this driver for a bare path; `*` = any other. */
  readonly extensions: readonly string[];
  /** True for the one driver used when an agent file has no `event_sink` (zu: in memory). */
  readonly fallback?: boolean;
  /** Whether `encryption` other than `none` is supported. */
  readonly encryption: boolean;
  /** Options refused with a reason of their own (`url`: use `url_env`), by agent-file name. */
  readonly refused?: Readonly<Record<string, string>>;
  /** The options the driver honours, by agent-file name. */
  readonly options: Readonly<Record<string, SinkOptionKind>>;
  /** Opens the sink at `path` (absolute, `:memory:`, or null for a driver without a file). */
  open(path: string | null, options: SinkOpenOptions): Promise<EventSink>;
}
