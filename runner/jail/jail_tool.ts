/**
 * The child side of the permission jail: recognises a refusal by Deno's permission system in
 * any of its shapes and turns it into a {@link SecurityBlock} of kind `runtime_permission`, which
 * the loop records as `harness.defense.blocked` and hands to the model as an observation.
 *
 * @example
 * ```ts
 * import { isPermissionDenial } from "./jail_tool.ts";
 * const e = new Deno.errors.NotCapable('Requires net access to "10.0.0.1:80"');
 * console.assert(isPermissionDenial(e));
 * ```
 * @module
 */
import { SecurityBlock, ZuError } from "../../core/errors.ts";
import type { RunContext, Tool } from "../../core/types.ts";

/** The block kind of a refusal by Deno itself. */
export const RUNTIME_PERMISSION = "runtime_permission";

const REQUIRES = /Requires (\w+) access(?: to "([^"]*)")?/;

function texts(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== undefined && cur !== null; depth++) {
    if (cur instanceof Error) {
      out.push(`${cur.name}: ${cur.message}`);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      out.push(String(cur));
      break;
    }
  }
  return out;
}

/**
 * True when `err` is a refusal by Deno's permissions: `NotCapable`, a `TypeError` whose cause says
 * `Requires net access` (a deny-list hit on a resolved address), node:dns's `EPERM`, or a failed
 * dynamic import for lack of import access. A `dns_failed` error (the name does not resolve) is
 * never one.
 */
export function isPermissionDenial(err: unknown): boolean {
  // A name that does not resolve is a DNS failure, whatever its cause chain mentions.
  if (err instanceof ZuError && err.code === "dns_failed") return false;
  if (err instanceof Deno.errors.NotCapable) return true;
  if (err instanceof Error && err.name === "NotCapable") return true;
  const code = (err as { code?: unknown } | null)?.code;
  const all = texts(err).join(" | ");
  if (code === "EPERM" && /getaddrinfo|EPERM/.test(all)) return true;
  return REQUIRES.test(all);
}

/** What was refused: the permission name and its target, when the message says. */
export function denialDetail(
  err: unknown,
): { permission: string | null; target: string | null; detail: string } {
  const all = texts(err);
  for (const t of all) {
    const m = REQUIRES.exec(t);
    if (m) return { permission: m[1] ?? null, target: m[2] ?? null, detail: t };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "EPERM") {
    const host = /getaddrinfo EPERM (\S+)/.exec(all.join(" "))?.[1] ?? null;
    return { permission: "net", target: host, detail: all[0] ?? "EPERM" };
  }
  return { permission: null, target: null, detail: all[0] ?? String(err) };
}

/** Builds the {@link SecurityBlock} for a denial inside tool `tool`. */
export function runtimePermissionBlock(tool: string, err: unknown): SecurityBlock {
  const d = denialDetail(err);
  const what = d.permission ? `${d.permission} access` : "access";
  const to = d.target ? ` to "${d.target}"` : "";
  return new SecurityBlock(
    `Refused by the Deno permission jail: tool "${tool}" has no ${what}${to} (${d.detail})`,
    { kind: RUNTIME_PERMISSION, target: d.target },
  );
}

/**
 * Wraps a tool so that a permission refusal, thrown or reported as an `error` observation,
 * becomes a `SecurityBlock` of kind `runtime_permission`. Every other property is the tool's own.
 */
export function jailTool(tool: Tool): Tool {
  const wrapped = Object.create(tool) as Tool & { call: Tool["call"] };
  Object.defineProperty(wrapped, "call", {
    value: async (ctx: RunContext, args: Record<string, unknown>) => {
      let obs: Record<string, unknown>;
      try {
        obs = await tool.call(ctx, args);
      } catch (err) {
        if (isPermissionDenial(err)) throw runtimePermissionBlock(tool.name, err);
        throw err;
      }
      const e = obs?.error;
      if (typeof e === "string" && isPermissionDenial(new Error(e)) && !("blocked" in obs)) {
        throw runtimePermissionBlock(tool.name, new Error(e));
      }
      return obs;
    },
    enumerable: true,
  });
  return wrapped;
}

/** Wraps every tool of a map with {@link jailTool}. */
export function jailTools(tools: Map<string, Tool>): Map<string, Tool> {
  const out = new Map<string, Tool>();
  for (const [name, t] of tools) out.set(name, jailTool(t));
  return out;
}
