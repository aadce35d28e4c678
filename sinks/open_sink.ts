/**
 * Opening event sinks from configuration — the only way a sink is opened from an agent file's
 * `event_sink` / `trace_sinks`, by the library and the CLI alike. Every block is checked by the
 * {@link SinkRegistry} first (a key that would not take effect is refused in one line), then
 * each key is honoured: `path`, `encryption` (the codec; keys from the environment),
 * `sign_key_env` (HMAC `sig` on every linked event; an unset variable is a user error, never an
 * unsigned log), `filter_fields`, `busy_timeout_ms`, `max_batch`, `durable`. Trace sinks are
 * attached behind a {@link FanoutSink} as isolated subscribers of the canonical sink.
 *
 * @example
 * ```ts
 * import { openSinks } from "./open_sink.ts";
 * const dir = await Deno.makeTempDir();
 * const sink = await openSinks(
 *   {
 *     event_sink: { driver: "memory", path: null, encryption: "none", options: {} },
 *     trace_sinks: [{ driver: "jsonl", path: "trace.jsonl", encryption: "none", options: {} }],
 *   },
 *   { dir },
 * );
 * await sink.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { errorOfCode, UserError } from "../core/errors.ts";
import type { EventSink, EventSinkConfig, SinkRole } from "../core/types.ts";
import type { EnvReader } from "../core/types.ts";
import { FanoutSink, type TraceSinkFailure } from "./fanout_sink.ts";
import { type SinkRegistry, sinkRegistry } from "./registry.ts";
import type { SinkOpenOptions } from "./sink_driver.ts";
import { decodeSignKey } from "./sign_key.ts";

/** Options of {@link openSink}. */
export interface OpenSinkOptions {
  /** Directory relative paths are resolved against (the agent directory). Required. */
  dir: string;
  /** Environment reader for signing and encryption keys. Default `Deno.env.get`. */
  env?: EnvReader;
  /** The registry. Default {@link sinkRegistry}. */
  registry?: SinkRegistry;
  /** `event_sink` (default) or `trace_sink`. */
  role?: SinkRole;
  /** Where the block came from, for messages. Default `event_sink` / `trace_sinks`. */
  label?: string;
  /**
   * `write` (default): create parent directories and require every key. `read`: open an
   * existing log to read it (no signing key needed, nothing created).
   */
  mode?: "write" | "read";
}

// The EnvReader contract: undefined when unset or not permitted (a host granted only the
// variables its log needs still opens it; a missing key is reported where it is needed).
const denoEnv: EnvReader = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split("\n")[0] ?? msg).trim();
}

function absolute(dir: string, path: string): string {
  if (path === ":memory:" || path.startsWith("/")) return path;
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return decodeURIComponent(new URL(path, `file://${base}`).pathname);
}

/**
 * Throws the one-line `UserError` for the first key of `cfg` that would not take effect
 * (`label` names the block in the message).
 */
export function checkSinkConfig(
  cfg: EventSinkConfig,
  role: SinkRole,
  label: string,
  registry: SinkRegistry = sinkRegistry,
): void {
  const problem = registry.check(cfg, role);
  if (problem !== null) {
    throw new UserError(
      "config_invalid",
      `Cannot open ${label}: ${problem.key} ${problem.message}`,
    );
  }
}

/**
 * The absolute file of `cfg` (its `path`, else its driver's default, against `dir`), or null
 * for a driver that keeps no file. `:memory:` stays as it is.
 */
export function sinkPath(
  cfg: EventSinkConfig,
  dir: string,
  registry: SinkRegistry = sinkRegistry,
): string | null {
  const rel = cfg.path ?? registry.get(cfg.driver).defaultPath;
  return rel === null ? null : absolute(dir, rel);
}

/** A plain block for the file `path`, its driver picked by extension (`--db x.jsonl`). */
export function sinkConfigForPath(
  path: string,
  registry: SinkRegistry = sinkRegistry,
): EventSinkConfig {
  return { driver: registry.forPath(path).name, path, encryption: "none", options: {} };
}

/**
 * `cfg` moved to the file `path` (the CLI's `--db`): the driver follows the extension, every
 * other key is kept (and checked again when opened).
 */
export function withSinkPath(
  cfg: EventSinkConfig | null,
  path: string,
  registry: SinkRegistry = sinkRegistry,
): EventSinkConfig {
  const plain = sinkConfigForPath(path, registry);
  return cfg === null ? plain : { ...cfg, driver: plain.driver, path };
}

async function openOptions(
  cfg: EventSinkConfig,
  label: string,
  env: EnvReader,
  mode: "write" | "read",
  encryption: boolean,
): Promise<SinkOpenOptions> {
  const out: SinkOpenOptions = { env };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg.options)) {
    if (k === "sign_key_env") {
      if (mode === "read") continue;
      const name = String(v);
      const raw = env(name);
      if (raw === undefined || raw.trim() === "") {
        throw new UserError(
          "key_missing",
          `Cannot open ${label}: signing key variable "${name}" (options.sign_key_env) is not set; export it (hex or base64, >= 16 bytes) or remove sign_key_env`,
        );
      }
      out.signKey = decodeSignKey(raw, name);
    } else if (k === "filter_fields") out.filterFields = [...(v as string[])];
    else if (k === "busy_timeout_ms") out.busyTimeoutMs = v as number;
    else if (k === "max_batch") out.maxBatch = v as number;
    else if (k === "durable") out.durable = v as boolean;
    else extra[k] = v;
  }
  if (Object.keys(extra).length) out.extra = extra;
  if (encryption) {
    const { envCodecs } = await import("./encryption/env_codecs.ts");
    out.readCodecs = envCodecs(env);
  }
  if (cfg.encryption !== "none") {
    const { createCodec } = await import("./encryption/create_codec.ts");
    try {
      out.codec = createCodec(cfg.encryption, { env });
      if (cfg.encryption === "managed") {
        // The managed codec looks keys up per row: check the current one now, not mid-run.
        const { EnvKeyProvider } = await import("./encryption/env_key_provider.ts");
        const keys = new EnvKeyProvider({ env });
        keys.key(keys.currentKeyId());
      }
    } catch (e) {
      const message = `Cannot open ${label} with encryption "${cfg.encryption}": ${firstLine(e)}`;
      // A key problem keeps its own code (key_missing, key_invalid); anything else is config.
      throw (e instanceof UserError ? errorOfCode(e.code, message) : null) ??
        new UserError("config_invalid", message);
    }
  }
  return out;
}

/**
 * Opens the sink `cfg` describes, after {@link checkSinkConfig}. Its driver's module (and a
 * codec) is imported only now. Every problem is a one-line `UserError`.
 */
export async function openSink(cfg: EventSinkConfig, options: OpenSinkOptions): Promise<EventSink> {
  const registry = options.registry ?? sinkRegistry;
  const role = options.role ?? "event_sink";
  const label = options.label ?? (role === "event_sink" ? "event_sink" : "trace_sinks");
  const mode = options.mode ?? "write";
  checkSinkConfig(cfg, role, label, registry);
  const driver = registry.get(cfg.driver);
  const path = sinkPath(cfg, options.dir, registry);
  const shown = `${label} (driver "${driver.name}"${path ? ` at "${path}"` : ""})`;
  const env = options.env ?? denoEnv;
  const opts = await openOptions(cfg, shown, env, mode, driver.encryption);
  opts.env = env;
  if (options.dir !== undefined) opts.dir = options.dir;
  if (path !== null && path !== ":memory:" && mode === "write") {
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent) await Deno.mkdir(parent, { recursive: true });
  }
  return await driver.open(path, opts);
}

/** The sink settings of an agent file (an `AgentConfig` has this shape). */
export interface SinkSettings {
  /** The canonical sink, or null for the fallback. */
  event_sink: EventSinkConfig | null;
  /** Secondary trace sinks. */
  trace_sinks?: readonly EventSinkConfig[];
}

/** Options of {@link openSinks}. */
export interface OpenSinksOptions extends Omit<OpenSinkOptions, "role" | "label"> {
  /** The canonical block when `event_sink` is null. Default: the registry's fallback (in memory, as zu). */
  fallback?: EventSinkConfig;
  /** Called when a trace sink fails an append or close (the run goes on). Default: none. */
  onTraceFailure?: (failure: TraceSinkFailure) => void;
}

/**
 * Opens the canonical sink and, when writing, every trace sink behind a {@link FanoutSink}
 * (isolated subscribers, closed with it). A trace sink on the canonical sink's own file is
 * refused. What was opened is closed again when a later one fails.
 */
export async function openSinks(
  settings: SinkSettings,
  options: OpenSinksOptions,
): Promise<EventSink> {
  const registry = options.registry ?? sinkRegistry;
  const canonicalCfg = settings.event_sink ?? options.fallback ?? registry.fallbackConfig();
  const traces = options.mode === "read" ? [] : settings.trace_sinks ?? [];
  // Check every block before anything is opened or created.
  checkSinkConfig(canonicalCfg, "event_sink", "event_sink", registry);
  const canonicalPath = sinkPath(canonicalCfg, options.dir, registry);
  const seen = new Set(canonicalPath && canonicalPath !== ":memory:" ? [canonicalPath] : []);
  traces.forEach((t, i) => {
    checkSinkConfig(t, "trace_sink", `trace_sinks[${i}]`, registry);
    const p = sinkPath(t, options.dir, registry);
    if (p !== null && p !== ":memory:") {
      if (seen.has(p)) {
        throw new UserError(
          "config_invalid",
          `Cannot open trace_sinks[${i}]: path "${p}" is already used by another sink of this agent`,
        );
      }
      seen.add(p);
    }
  });
  const canonical = await openSink(canonicalCfg, { ...options, registry, role: "event_sink" });
  if (traces.length === 0) return canonical;
  const opened: EventSink[] = [];
  try {
    for (const [i, t] of traces.entries()) {
      opened.push(
        await openSink(t, { ...options, registry, role: "trace_sink", label: `trace_sinks[${i}]` }),
      );
    }
  } catch (err) {
    for (const s of [canonical, ...opened]) await s.close().catch(() => {});
    throw err;
  }
  return new FanoutSink(
    canonical,
    opened,
    options.onTraceFailure ? { onFailure: options.onTraceFailure } : {},
  );
}
