/**
 * The loop's argument check against a tool's declared `parameters` schema, as zu does it
 * (`_validate_args_against_schema`), with zu's wording: required keys, `additionalProperties:
 * false` (every unknown key, sorted), each property's single `type` (a boolean is not a number)
 * and `enum` membership by Python equality (`1 == 1.0 == True`).
 *
 * @module
 */
import { isPyFloat } from "../core/json.ts";
import { pyRepr } from "../core/python/mod.ts";

/** Python's `type(v).__name__` of a decoded JSON value. */
function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (isPyFloat(v)) return "float";
  switch (typeof v) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    default:
      return Array.isArray(v) ? "list" : "dict";
  }
}

/** zu's `_type_ok`: the JSON-schema type tokens it knows, anything else is not checked. */
function typeOk(v: unknown, type: string): boolean {
  const t = pyTypeName(v);
  switch (type) {
    case "object":
      return t === "dict";
    case "array":
      return t === "list";
    case "string":
      return t === "str";
    case "integer":
      return t === "int";
    case "number":
      return t === "int" || t === "float";
    case "boolean":
      return t === "bool";
    case "null":
      return t === "NoneType";
    default:
      return true;
  }
}

/** The numeric value Python compares a bool, int or float by, or null for anything else. */
function numeric(v: unknown): number | bigint | null {
  if (isPyFloat(v)) return v.value;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "bigint") return v;
  return null;
}

/** Python's `a == b` over decoded JSON values. */
function pyEq(a: unknown, b: unknown): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== null || nb !== null) return na !== null && nb !== null && na == nb;
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a ?? null) === (b ?? null);
  }
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => pyEq(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  if (ka.length !== Object.keys(rb).length) return false;
  return ka.every((k) => Object.hasOwn(rb, k) && pyEq(ra[k], rb[k]));
}

/** Python's `sorted()` of strings: by code point. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !isPyFloat(v);
}

/**
 * A tool schema's argument schema, as zu's `_tool_parameters` finds it: its `parameters` object,
 * or the schema itself when it is a JSON-schema object (`type: object` with `properties`).
 */
export function toolParameters(schema: unknown): Record<string, unknown> | undefined {
  if (!isRecord(schema)) return undefined;
  if (isRecord(schema.parameters)) return schema.parameters;
  if (schema.type === "object" && isRecord(schema.properties)) return schema;
  return undefined;
}

/** The first mismatch of `args` against `parameters` in zu's words, or null when they conform. */
export function argMismatch(
  args: Readonly<Record<string, unknown>>,
  parameters: Readonly<Record<string, unknown>> | undefined,
): string | null {
  if (!isRecord(args)) return `args must be a JSON object, got ${pyTypeName(args)}`;
  if (!isRecord(parameters)) return null;
  const props = isRecord(parameters.properties) ? parameters.properties : {};
  const required = Array.isArray(parameters.required) ? parameters.required : [];
  for (const key of required) {
    if (!(typeof key === "string" && Object.hasOwn(args, key))) {
      return `missing required argument ${pyRepr(key)}`;
    }
  }
  if (parameters.additionalProperties === false) {
    const unknown = Object.keys(args).filter((k) => !Object.hasOwn(props, k)).sort(byCodePoint);
    if (unknown.length > 0) {
      return `unexpected argument(s) ${pyRepr(unknown)} (additionalProperties: false)`;
    }
  }
  for (const [key, value] of Object.entries(args)) {
    const spec = props[key];
    if (!isRecord(spec)) continue;
    const declared = spec.type;
    if (typeof declared === "string" && !typeOk(value, declared)) {
      return `argument ${pyRepr(key)} must be ${declared}, got ${pyTypeName(value)}`;
    }
    if (Array.isArray(spec.enum) && !spec.enum.some((x) => pyEq(value, x))) {
      return `argument ${pyRepr(key)}=${pyRepr(value)} is not one of the allowed values ${
        pyRepr(spec.enum)
      }`;
    }
  }
  return null;
}
