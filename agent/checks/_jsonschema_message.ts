/**
 * Turns Ajv errors into the message Python's `jsonschema` gives for the same failure
 * (`'closes' is a required property`, `5 is not of type 'string'`), and picks the one
 * `jsonschema.validate` would raise (the shallowest error, first in schema order).
 *
 * @module
 */
import type { ErrorObject } from "ajv/dist/2020.js";
import { pyRepr } from "../../core/python/mod.ts";

function pointerGet(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let cur: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Index tuple of a schema path in schema key order (for jsonschema's iteration order). */
function schemaOrder(schema: unknown, schemaPath: string): number[] {
  const out: number[] = [];
  let cur: unknown = schema;
  for (const raw of schemaPath.replace(/^#/, "").split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") break;
    const keys = Array.isArray(cur) ? cur.map((_, i) => String(i)) : Object.keys(cur);
    out.push(Math.max(0, keys.indexOf(seg)));
    cur = (cur as Record<string, unknown>)[seg];
  }
  return out;
}

function compareTuples(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
}

function depth(e: ErrorObject): number {
  return e.instancePath === "" ? 0 : e.instancePath.split("/").length - 1;
}

/** jsonschema's message for one Ajv error. */
export function jsonschemaMessage(e: ErrorObject, data: unknown): string {
  const instance = pointerGet(data, e.instancePath);
  const r = pyRepr(instance);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return `${pyRepr(p.missingProperty)} is a required property`;
    case "type": {
      const t = String(p.type).split(",").map((x) => pyRepr(x)).join(", ");
      return `${r} is not of type ${t}`;
    }
    case "enum":
      return `${r} is not one of ${pyRepr(p.allowedValues)}`;
    case "const":
      return `${pyRepr(p.allowedValue)} was expected`;
    case "additionalProperties":
      return `Additional properties are not allowed (${
        pyRepr(p.additionalProperty)
      } was unexpected)`;
    case "minLength":
      return p.limit === 1 ? `${r} should be non-empty` : `${r} is too short`;
    case "maxLength":
      return `${r} is too long`;
    case "minItems":
      return p.limit === 1 ? `${r} should be non-empty` : `${r} is too short`;
    case "maxItems":
      return p.limit === 0 ? `${r} is expected to be empty` : `${r} is too long`;
    case "minimum":
      return `${r} is less than the minimum of ${pyRepr(p.limit)}`;
    case "maximum":
      return `${r} is greater than the maximum of ${pyRepr(p.limit)}`;
    case "exclusiveMinimum":
      return `${r} is less than or equal to the minimum of ${pyRepr(p.limit)}`;
    case "exclusiveMaximum":
      return `${r} is greater than or equal to the maximum of ${pyRepr(p.limit)}`;
    case "multipleOf":
      return `${r} is not a multiple of ${pyRepr(p.multipleOf)}`;
    case "pattern":
      return `${r} does not match ${pyRepr(p.pattern)}`;
    case "uniqueItems":
      return `${r} has non-unique elements`;
    case "minProperties":
      return `${r} does not have enough properties`;
    case "maxProperties":
      return `${r} has too many properties`;
    case "anyOf":
      return `${r} is not valid under any of the given schemas`;
    case "oneOf":
      return p.passingSchemas
        ? `${r} is valid under each of the given schemas`
        : `${r} is not valid under any of the given schemas`;
    case "not":
      return `${r} should not be valid under the given schema`;
    default:
      return e.message ?? `${r} is invalid`;
  }
}

function jsonType(v: unknown, t: string): boolean {
  switch (t) {
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    default:
      return false;
  }
}

/**
 * jsonschema's `not error._matches_type()`: true when the failing subschema has no `type`, or the
 * instance does not match it (such errors are preferred).
 */
function mismatchesType(e: ErrorObject, schema: unknown, data: unknown): boolean {
  const parentPath = e.schemaPath.replace(/^#/, "").split("/").slice(0, -1).join("/");
  const sub = pointerGet(schema, parentPath);
  if (sub === null || typeof sub !== "object") return true;
  const t = (sub as Record<string, unknown>).type;
  if (t === undefined) return true;
  const instance = pointerGet(data, e.instancePath);
  const types = Array.isArray(t) ? t.map(String) : [String(t)];
  return !types.some((x) => jsonType(instance, x));
}

/**
 * The error `jsonschema.validate` would raise (`best_match`): the shallowest, then one whose
 * instance does not match its subschema's type, then the first in schema order.
 */
export function bestError(
  errors: readonly ErrorObject[],
  schema: unknown,
  data: unknown,
): ErrorObject | undefined {
  const weak = (e: ErrorObject) => e.keyword === "anyOf" || e.keyword === "oneOf";
  const sorted = [...errors].filter((e) => e.keyword !== "if").sort((a, b) => {
    const d = depth(a) - depth(b);
    if (d !== 0) return d;
    const w = Number(weak(a)) - Number(weak(b));
    if (w !== 0) return w;
    const m = Number(mismatchesType(b, schema, data)) - Number(mismatchesType(a, schema, data));
    if (m !== 0) return m;
    return compareTuples(schemaOrder(schema, a.schemaPath), schemaOrder(schema, b.schemaPath));
  });
  return sorted[0];
}

/** All "additionalProperties" extras at the same place as `e`, sorted (jsonschema's message). */
export function additionalMessage(errors: readonly ErrorObject[], e: ErrorObject): string {
  const extras = errors.filter((x) =>
    x.keyword === "additionalProperties" && x.instancePath === e.instancePath &&
    x.schemaPath === e.schemaPath
  ).map((x) => String((x.params as Record<string, unknown>).additionalProperty)).sort();
  const verb = extras.length === 1 ? "was" : "were";
  return `Additional properties are not allowed (${
    extras.map((x) => pyRepr(x)).join(", ")
  } ${verb} unexpected)`;
}
