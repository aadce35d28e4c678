/**
 * The loop's argument check against a tool's declared `parameters` schema, as zu does it: required
 * keys, `additionalProperties: false`, each property's `type` (a boolean is not a number), `enum`.
 *
 * @module
 */
import { isPyFloat } from "../core/json.ts";
import { pyRepr } from "../core/python/mod.ts";

function isInt(v: unknown): boolean {
  return typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
}

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "integer":
      return isInt(v);
    case "number":
      return typeof v === "number" || typeof v === "bigint" || isPyFloat(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v) && !isPyFloat(v);
    case "null":
      return v === null;
    default:
      return true;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  const norm = (x: unknown): unknown => (isPyFloat(x) ? x.value : x);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The first mismatch of `args` against `parameters`, or null when they conform. */
export function argMismatch(
  args: Readonly<Record<string, unknown>>,
  parameters: Readonly<Record<string, unknown>> | undefined,
): string | null {
  if (parameters === undefined || parameters === null || typeof parameters !== "object") {
    return null;
  }
  const props = (parameters.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(parameters.required) ? parameters.required : [];
  for (const key of required) {
    if (typeof key === "string" && !(key in args)) {
      return `missing required argument ${pyRepr(key)}`;
    }
  }
  if (parameters.additionalProperties === false) {
    for (const key of Object.keys(args)) {
      if (!(key in props)) return `unexpected argument ${pyRepr(key)}`;
    }
  }
  for (const [key, value] of Object.entries(args)) {
    const prop = props[key];
    if (prop === undefined || prop === null || typeof prop !== "object") continue;
    const t = prop.type;
    const types = typeof t === "string" ? [t] : Array.isArray(t) ? t.map(String) : null;
    if (types !== null && !types.some((x) => matchesType(value, x))) {
      return `argument ${pyRepr(key)} must be of type ${types.join(" or ")}`;
    }
    if (Array.isArray(prop.enum) && !prop.enum.some((x) => sameJson(x, value))) {
      return `argument ${pyRepr(key)} must be one of ${pyRepr(prop.enum)}`;
    }
  }
  return null;
}
