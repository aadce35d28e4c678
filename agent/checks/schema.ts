/**
 * The `schema` validator: the final answer must validate against the task's `output_schema`
 * (JSON Schema 2020-12, via Ajv). A mismatch asks for a retry with the message Python's
 * `jsonschema` gives; an invalid schema is terminal.
 *
 * @example
 * ```ts
 * import { SchemaValidator } from "./schema.ts";
 * const spec = { output_schema: { type: "object", required: ["a"] } };
 * const v = new SchemaValidator().check({}, { spec } as never);
 * console.assert(v?.detail === "'a' is a required property");
 * ```
 * @module
 */
import Ajv2020Module from "ajv/dist/2020.js";
import type { Verdict } from "../../core/contracts.ts";
import { isPyFloat } from "../../core/json.ts";
import type { RunContext, Validator } from "../../core/types.ts";
import { additionalMessage, bestError, jsonschemaMessage } from "./_jsonschema_message.ts";

// deno-lint-ignore no-explicit-any
const Ajv2020: any = (Ajv2020Module as any).default ?? Ajv2020Module;

/** Plain JS numbers for Ajv (PyFloat and bigint become numbers). */
function plain(v: unknown): unknown {
  if (isPyFloat(v)) return v.value;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** Validates the final value against `ctx.spec.output_schema`. */
export class SchemaValidator implements Validator {
  /** Registry name. */
  readonly name = "schema";
  // deno-lint-ignore no-explicit-any
  #ajv: any = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  // deno-lint-ignore no-explicit-any
  #cache = new Map<string, any>();

  /** Returns retry with jsonschema's message, terminal for an invalid schema, else null. */
  check(value: Record<string, unknown>, ctx: RunContext): Verdict | null {
    const schema = plain(ctx.spec.output_schema ?? {}) as Record<string, unknown>;
    if (Object.keys(schema).length === 0) return null;
    const key = JSON.stringify(schema);
    let validate = this.#cache.get(key);
    if (validate === undefined) {
      try {
        validate = this.#ajv.compile(schema);
      } catch (err) {
        return {
          severity: "terminal",
          detector: this.name,
          detail: `invalid output_schema: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      this.#cache.set(key, validate);
    }
    const data = plain(value);
    if (validate(data)) return null;
    const errors = validate.errors ?? [];
    const best = bestError(errors, schema, data);
    if (best === undefined) return { severity: "retry", detector: this.name, detail: "invalid" };
    const detail = best.keyword === "additionalProperties"
      ? additionalMessage(errors, best)
      : jsonschemaMessage(best, data);
    return { severity: "retry", detector: this.name, detail };
  }
}
