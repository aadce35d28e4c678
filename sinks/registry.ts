/**
 * The sink driver registry: the only place that knows which event sink drivers exist, which keys
 * each one honours, and how to open it (lazily). It is explicit data (`register`, `get`,
 * `names`; registering a name twice throws) and implements the core port
 * {@link SinkDriverCatalog}.
 *
 * Why a port: the agent-file parser lives in `agent/`, which may import only `core/`. Rather than
 * a second list of names in `core/` (which would drift from the drivers), the composition root
 * (the CLI, `runner/`, a library caller) hands this registry to `loadAgentConfig` as its
 * `sinkDrivers` catalog; the parser then asks it for names and checks every sink key with
 * {@link SinkRegistry.check}. Without a catalog the parser checks only the block's shape, and
 * {@link openSink} runs the same check before opening anything — so a key is refused the same
 * way whichever entry point reads it.
 *
 * @example
 * ```ts
 * import { createSinkRegistry } from "./registry.ts";
 * const registry = createSinkRegistry();
 * console.assert(registry.names().join() === "jsonl,memory,sqlite");
 * const problem = registry.check(
 *   { driver: "jsonl", path: null, encryption: "none", options: { max_batch: 10 } },
 *   "trace_sink",
 * );
 * console.assert(problem?.key === "options.max_batch");
 * ```
 * @module
 */
import { Registry } from "../core/registry.ts";
import type {
  EventSinkConfig,
  SinkConfigProblem,
  SinkDriverCatalog,
  SinkRole,
} from "../core/types.ts";
import { checkFilterFieldName } from "./filter.ts";
import { builtinSinkDrivers } from "./builtin_drivers.ts";
import { CODEC_NAMES } from "./encryption/codec_names.ts";
import type { SinkDriver, SinkOptionKind } from "./sink_driver.ts";

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "a mapping";
  return `"${String(v)}"`;
}

function kindProblem(kind: SinkOptionKind, v: unknown): string | null {
  switch (kind) {
    case "string":
      return typeof v === "string" && v.trim() !== ""
        ? null
        : `must be a non-empty string, got ${show(v)}`;
    case "bool":
      return typeof v === "boolean" ? null : `must be true or false, got ${show(v)}`;
    case "int>=0":
    case "int>=1": {
      const min = kind === "int>=0" ? 0 : 1;
      return typeof v === "number" && Number.isSafeInteger(v) && v >= min
        ? null
        : `must be a whole number >= ${min}, got ${show(v)}`;
    }
    case "string_list": {
      if (!Array.isArray(v)) return `must be a list of field names, got ${show(v)}`;
      for (const f of v) {
        try {
          checkFilterFieldName(f as string);
        } catch (e) {
          return `holds a bad field name: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      return null;
    }
  }
}

/** The registry of sink drivers; see the module doc. */
export class SinkRegistry implements SinkDriverCatalog {
  #drivers = new Registry<SinkDriver>("sink drivers");

  /** Adds `driver`; throws `TypeError` when its name is already registered. */
  register(driver: SinkDriver): this {
    this.#drivers.register(driver.name, driver);
    return this;
  }

  /** The driver called `name`; throws `RangeError` naming the registered drivers otherwise. */
  get(name: string): SinkDriver {
    return this.#drivers.get(name);
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.#drivers.has(name);
  }

  /** Registered driver names, sorted. */
  names(): string[] {
    return this.#drivers.names();
  }

  /**
   * The driver a bare file path picks: the one declaring its extension, else the one declaring
   * `*`. Throws `RangeError` when none does.
   */
  forPath(path: string): SinkDriver {
    const base = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
    const dot = base.lastIndexOf(".");
    const ext = dot > 0 ? base.slice(dot) : "";
    const drivers = this.names().map((n) => this.get(n));
    const hit = drivers.find((d) => ext !== "" && d.extensions.includes(ext)) ??
      drivers.find((d) => d.extensions.includes("*"));
    if (!hit) {
      throw new RangeError(
        `Cannot pick a sink driver for "${path}": no driver takes its extension`,
      );
    }
    return hit;
  }

  /** The block used when an agent file has no `event_sink`: the `fallback` driver, no file. */
  fallbackConfig(): EventSinkConfig {
    const d = this.names().map((n) => this.get(n)).find((x) => x.fallback === true);
    if (!d) throw new RangeError("Cannot pick a default sink driver: none is marked fallback");
    return { driver: d.name, path: null, encryption: "none", options: {} };
  }

  /** The first key of `block` that would not take effect in `role`, or null. */
  check(block: EventSinkConfig, role: SinkRole): SinkConfigProblem | null {
    if (!this.has(block.driver)) {
      return {
        key: "driver",
        message: `"${block.driver}" is not a known sink driver (known: ${quoted(this.names())})`,
      };
    }
    const d = this.get(block.driver);
    if (!CODEC_NAMES.includes(block.encryption)) {
      return {
        key: "encryption",
        message: `must be one of ${quoted(CODEC_NAMES)}, got "${block.encryption}"`,
      };
    }
    if (block.encryption !== "none" && !d.encryption) {
      return {
        key: "encryption",
        message:
          `"${block.encryption}" is not supported by driver "${d.name}" (it stores plain text)`,
      };
    }
    if (block.path !== null && d.defaultPath === null) {
      return { key: "path", message: `is not used by driver "${d.name}" (it keeps no file)` };
    }
    if (block.path !== null && block.path.trim() === "") {
      return { key: "path", message: "must not be empty" };
    }
    for (const [name, value] of Object.entries(block.options)) {
      const kind = d.options[name];
      const refused = d.refused?.[name];
      if (refused !== undefined) return { key: `options.${name}`, message: refused };
      if (kind === undefined) {
        return {
          key: `options.${name}`,
          message: `is not an option of driver "${d.name}" (its options: ${
            quoted(Object.keys(d.options).sort())
          })`,
        };
      }
      const why = kindProblem(kind, value);
      if (why !== null) return { key: `options.${name}`, message: why };
      if (name === "sign_key_env" && role === "trace_sink") {
        return {
          key: "options.sign_key_env",
          message:
            "is not used by a trace sink: it stores the event_sink's already linked copy (set sign_key_env on event_sink)",
        };
      }
    }
    return null;
  }
}

/** A registry holding `drivers` (default: the built-ins, `sqlite`, `jsonl` and `memory`). */
export function createSinkRegistry(
  drivers: readonly SinkDriver[] = builtinSinkDrivers(),
): SinkRegistry {
  const r = new SinkRegistry();
  for (const d of drivers) r.register(d);
  return r;
}

/** The default registry (the built-in drivers); register a new driver here to make it usable. */
export const sinkRegistry: SinkRegistry = createSinkRegistry();
