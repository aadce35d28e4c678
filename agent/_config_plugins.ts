/**
 * Resolves plugin references of an agent file: a registry name (`http_fetch`), or a module path
 * relative to the agent directory with the export to use (`./tools/my_tool.ts#MyTool`). Builds
 * plugin instances from what a reference resolves to and checks their shape.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Registry } from "../core/registry.ts";
import { configError, thrownText } from "./_config_parse.ts";
import { guardPlugins } from "./plugin_guard.ts";

/** The plugin kinds a reference can name. */
export type PluginKind = "tool" | "detector" | "validator" | "provider";

/** What a reference resolved to. */
export type ResolvedRef =
  | { source: "builtin"; name: string }
  | { source: "module"; specifier: string; exportName: string; value: unknown };

/** True when `ref` is a module path (`./x.ts#X`, `../x.ts#X`, `/abs/x.ts#X`, `file:...#X`). */
export function isModuleRef(ref: string): boolean {
  return ref.startsWith("./") || ref.startsWith("../") || ref.startsWith("/") ||
    ref.startsWith("file:");
}

function quoteList(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ");
}

function firstLine(e: unknown): string {
  return thrownText(e);
}

/** Where a reference is, for messages: the file and the key path. */
export interface RefSite {
  /** The agent file, as shown in messages. */
  file: string;
  /** The key path (`plugins.tools[1]`). */
  key: string;
  /** The agent directory module paths are relative to. */
  agentDir: string;
}

/**
 * Resolves `ref` of `kind`: a registry name must be registered; a module path must exist,
 * load, and export the named symbol. Throws a one-line `UserError` otherwise.
 */
export async function resolveRef(
  ref: string,
  kind: PluginKind,
  registry: Registry<unknown>,
  site: RefSite,
): Promise<ResolvedRef> {
  if (!isModuleRef(ref)) {
    if (/^[\w.]+:[\w.]+$/.test(ref) && !registry.has(ref)) {
      const [mod, attr] = ref.split(":");
      throw configError(
        site.file,
        site.key,
        `"${ref}" is a Python import path; name a module file instead, such as "./${
          mod!.replaceAll(".", "/")
        }.ts#${attr}"`,
      );
    }
    if (!registry.has(ref)) {
      throw configError(
        site.file,
        site.key,
        `"${ref}" is not a known ${kind} (known: ${quoteList(registry.names())})`,
      );
    }
    return { source: "builtin", name: ref };
  }
  const hash = ref.lastIndexOf("#");
  const path = hash < 0 ? ref : ref.slice(0, hash);
  const exportName = hash < 0 ? "" : ref.slice(hash + 1);
  if (exportName === "") {
    throw configError(
      site.file,
      site.key,
      `module path "${ref}" names no export (write "${path}#Name")`,
    );
  }
  let url: URL;
  if (path.startsWith("file:")) {
    url = new URL(path);
  } else {
    const abs = isAbsolute(path) ? path : resolve(site.agentDir, path);
    url = pathToFileURL(abs);
  }
  try {
    const st = await Deno.stat(url);
    if (!st.isFile) throw new Deno.errors.NotFound();
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "does not exist"
      : `cannot be read (${firstLine(e)})`;
    throw configError(site.file, site.key, `module "${path}" ${why}`);
  }
  let mod: Record<string, unknown>;
  guardPlugins();
  try {
    mod = await import(url.href);
  } catch (e) {
    throw configError(site.file, site.key, `module "${path}" failed to load: ${firstLine(e)}`);
  }
  if (!(exportName in mod) || mod[exportName] === undefined) {
    throw configError(
      site.file,
      site.key,
      `module "${path}" does not export "${exportName}" (exports: ${
        quoteList(Object.keys(mod).sort())
      })`,
    );
  }
  return { source: "module", specifier: url.href, exportName, value: mod[exportName] };
}

/** True when `fn` is a class (must be called with `new`). */
export function isClass(fn: unknown): fn is new (...args: unknown[]) => unknown {
  return typeof fn === "function" &&
    /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Builds a plugin from a module export: a class is constructed, a function called, an object used. */
export function instantiate(value: unknown, args: Record<string, unknown>): unknown {
  if (isClass(value)) return new value(args);
  if (typeof value === "function") {
    const made = (value as (a: Record<string, unknown>) => unknown)(args);
    // A factory returning a promise is not a plugin (its shape check says so); a rejection of
    // that promise must not surface later as an unhandled rejection.
    if (made instanceof Promise) made.catch(() => {});
    return made;
  }
  return value;
}

const SHAPES: Record<PluginKind, Array<[string, string]>> = {
  tool: [["name", "string"], ["schema", "object"], ["call", "function"]],
  detector: [["name", "string"], ["scope", "string"], ["inspect", "function"]],
  validator: [["name", "string"], ["check", "function"]],
  provider: [["complete", "function"], ["capabilities", "object"]],
};

/** Returns why `value` is not a `kind`, or null when it has the shape. */
export function shapeProblem(value: unknown, kind: PluginKind): string | null {
  if (value === null || typeof value !== "object") {
    return `did not produce a ${kind} (got ${value === null ? "null" : typeof value})`;
  }
  const missing = SHAPES[kind]
    .filter(([k, t]) =>
      typeof (value as Record<string, unknown>)[k] !== t ||
      (value as Record<string, unknown>)[k] === null
    )
    .map(([k, t]) => `"${k}" (${t})`);
  if (missing.length > 0) return `did not produce a ${kind}: missing ${missing.join(", ")}`;
  if (kind === "detector") {
    const scope = (value as { scope: string }).scope;
    if (!["per_observation", "per_turn", "on_final"].includes(scope)) {
      return `did not produce a detector: scope "${scope}" is not per_observation, per_turn or on_final`;
    }
  }
  return null;
}
