/**
 * An operator's verdict on a pending clearance, and its validation (shape, action, scope,
 * actor, reason, ttl): a malformed verdict is refused `verdict_invalid` (400) before the desk
 * looks at the request it cites.
 *
 * @example
 * ```ts
 * import { checkVerdict } from "./clearance_verdict.ts";
 * const v = checkVerdict({ request_id: "x", run_id: "r", host: "a.test", port: 443,
 *   action: "deny", actor: "op" });
 * console.assert(v.scope === "persist");
 * ```
 * @module
 */
import type { ClearanceAction, ClearanceScope } from "../../../core/types.ts";
import { ClearanceRefused } from "./clearance_error.ts";
import { sanitizeForOperator } from "./sanitize.ts";

/** Longest model-facing reason kept from a verdict. */
export const MAX_REASON_CHARS = 200;

/** An operator's verdict; the first four fields must be the tuple the desk issued. */
export interface ClearanceVerdict {
  /** The pending record's id. */
  request_id: string;
  /** Its run. */
  run_id: string;
  /** Its host, as issued (sanitised). */
  host: string;
  /** Its port. */
  port: number;
  /** Allow or deny. */
  action: ClearanceAction;
  /** Default `once` for an allow and `persist` for a deny. */
  scope?: ClearanceScope;
  /** Who decides (a user name, `cli`, `dashboard`). Required. */
  actor: string;
  /** Model-facing reason (a deny's 403 body); sanitised, at most 200 characters. */
  reason?: string;
  /** Validity of a `run`/`persist` rule in ms. Default none (no end). */
  ttl_ms?: number;
}

const SCOPES: readonly string[] = ["once", "run", "persist"];

/** A verdict after {@link checkVerdict}: defaults applied, text sanitised. */
export interface CheckedVerdict {
  request_id: string;
  action: ClearanceAction;
  scope: ClearanceScope;
  actor: string;
  reason?: string;
  ttl_ms?: number;
}

function invalid(why: string): ClearanceRefused {
  return new ClearanceRefused("verdict_invalid", `Cannot apply verdict: ${why}`);
}

/**
 * Validates a verdict and applies the defaults (scope `once` for an allow, `persist` for a
 * deny); actor and reason are sanitised. Throws `ClearanceRefused` `verdict_invalid`.
 *
 * @example
 * ```ts
 * import { checkVerdict } from "./clearance_verdict.ts";
 * try {
 *   checkVerdict({ request_id: "x", run_id: "r", host: "a", port: 0, action: "allow", actor: "o" });
 * } catch (e) {
 *   console.assert((e as { status: number }).status === 400);
 * }
 * ```
 */
export function checkVerdict(v: ClearanceVerdict): CheckedVerdict {
  if (v === null || typeof v !== "object") throw invalid("it is not an object");
  if (typeof v.request_id !== "string") throw invalid("request_id is not a string");
  if (typeof v.run_id !== "string") throw invalid("run_id is not a string");
  if (typeof v.host !== "string") throw invalid("host is not a string");
  if (!Number.isInteger(v.port) || v.port < 1 || v.port > 65535) {
    throw invalid("port is not 1..65535");
  }
  if (v.action !== "allow" && v.action !== "deny") throw invalid(`action is not allow or deny`);
  const scope = v.scope ?? (v.action === "allow" ? "once" : "persist");
  if (!SCOPES.includes(scope)) throw invalid("scope is not once, run or persist");
  const actor = typeof v.actor === "string" ? sanitizeForOperator(v.actor, 64).trim() : "";
  if (actor === "") throw invalid("actor is missing");
  const out: CheckedVerdict = { request_id: v.request_id, action: v.action, scope, actor };
  if (v.reason !== undefined) {
    if (typeof v.reason !== "string") throw invalid("reason is not a string");
    out.reason = sanitizeForOperator(v.reason, MAX_REASON_CHARS);
  }
  if (v.ttl_ms !== undefined) {
    if (!Number.isInteger(v.ttl_ms) || v.ttl_ms <= 0) throw invalid("ttl_ms is not positive");
    if (scope === "once") throw invalid("ttl_ms needs scope run or persist");
    out.ttl_ms = v.ttl_ms;
  }
  return out;
}
