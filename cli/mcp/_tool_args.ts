/**
 * A tool's arguments: declared once, from which both the JSON Schema `tools/list` shows and the
 * check of a `tools/call` come, so the two never disagree. A bad argument is one line naming the
 * tool and the argument.
 *
 * @module
 */

/** One argument of a tool. */
export interface ArgSpec {
  /** JSON type. */
  type: "string" | "integer" | "boolean" | "number";
  /** One line for the assistant. */
  description: string;
  /** Allowed values (strings). */
  enum?: readonly string[];
  /** Smallest number allowed. */
  minimum?: number;
  /** Largest number allowed. */
  maximum?: number;
  /** Longest string allowed (default {@link MAX_ARG_CHARS}). */
  maxLength?: number;
}

/** The longest string argument unless an argument says otherwise. */
export const MAX_ARG_CHARS = 4096;

/** A tool's declared arguments: the specs, and which must be given. */
export interface ArgsSpec {
  /** Arguments by name. */
  properties: Record<string, ArgSpec>;
  /** Names that must be present. */
  required?: readonly string[];
}

/** The JSON Schema of `spec` (an object with no other properties). */
export function inputSchema(spec: ArgsSpec): {
  type: "object";
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties: false;
} {
  const properties: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(spec.properties)) {
    const p: Record<string, unknown> = { type: a.type, description: a.description };
    if (a.enum) p.enum = [...a.enum];
    if (a.minimum !== undefined) p.minimum = a.minimum;
    if (a.maximum !== undefined) p.maximum = a.maximum;
    if (a.type === "string") p.maxLength = a.maxLength ?? MAX_ARG_CHARS;
    properties[name] = p;
  }
  return {
    type: "object",
    properties,
    ...(spec.required?.length ? { required: [...spec.required] } : {}),
    additionalProperties: false,
  };
}

/** Checked arguments, by name. */
export type Args = Record<string, string | number | boolean>;

function quote(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
}

/**
 * Checks `raw` against `spec`; returns the arguments, or one line saying what is wrong.
 *
 * @example
 * ```ts
 * import { checkArgs } from "./_tool_args.ts";
 * const r = checkArgs("run", { properties: { agent: { type: "string", description: "x" } }, required: ["agent"] }, {});
 * console.assert(!r.ok && r.message === 'run: missing argument "agent"');
 * ```
 */
export function checkArgs(
  tool: string,
  spec: ArgsSpec,
  raw: unknown,
): { ok: true; args: Args } | { ok: false; message: string } {
  const bad = (message: string) => ({ ok: false as const, message: `${tool}: ${message}` });
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) return bad("arguments must be an object");
  const args: Args = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const a = spec.properties[name];
    if (!a) {
      const known = Object.keys(spec.properties).join(", ") || "none";
      return bad(`unknown argument ${quote(name)} (known: ${known})`);
    }
    if (value === null || value === undefined) continue;
    if (a.type === "string") {
      if (typeof value !== "string") return bad(`argument "${name}" must be a string`);
      const max = a.maxLength ?? MAX_ARG_CHARS;
      if (value.length > max) return bad(`argument "${name}" is longer than ${max} characters`);
      if (a.enum && !a.enum.includes(value)) {
        return bad(`argument "${name}" must be one of: ${a.enum.join(", ")}`);
      }
      args[name] = value;
    } else if (a.type === "boolean") {
      if (typeof value !== "boolean") return bad(`argument "${name}" must be true or false`);
      args[name] = value;
    } else {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return bad(`argument "${name}" must be a number`);
      }
      if (a.type === "integer" && !Number.isInteger(value)) {
        return bad(`argument "${name}" must be an integer`);
      }
      if (a.minimum !== undefined && value < a.minimum) {
        return bad(`argument "${name}" must be at least ${a.minimum}`);
      }
      if (a.maximum !== undefined && value > a.maximum) {
        return bad(`argument "${name}" must be at most ${a.maximum}`);
      }
      args[name] = value;
    }
  }
  for (const name of spec.required ?? []) {
    if (!(name in args)) return bad(`missing argument "${name}"`);
  }
  return { ok: true, args };
}
