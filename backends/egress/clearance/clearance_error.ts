/**
 * The refusal of a verdict, with the HTTP status a server answers it with: an unknown (never
 * issued, forgotten or forged) request id is 404 `unknown_request`; a verdict citing another
 * run, host or port than the one issued is 409 `tuple_mismatch` (the pending record stays); a
 * second verdict on a decided request is 409 `already_decided` (a replay); a malformed verdict
 * is 400 `verdict_invalid`; a closed desk is 503 `clearance_closed`.
 *
 * @example
 * ```ts
 * import { ClearanceRefused } from "./clearance_error.ts";
 * const e = new ClearanceRefused("unknown_request", "Cannot apply verdict: no such request");
 * console.assert(e.status === 404 && e.code === "unknown_request");
 * ```
 * @module
 */
import { UserError } from "../../../core/errors.ts";

/** The codes of {@link ClearanceRefused}. */
export type ClearanceRefusalCode =
  | "unknown_request"
  | "tuple_mismatch"
  | "already_decided"
  | "verdict_invalid"
  | "clearance_closed";

/** The HTTP status of each refusal code. */
export const CLEARANCE_REFUSAL_STATUS: Readonly<Record<ClearanceRefusalCode, number>> = Object
  .freeze({
    unknown_request: 404,
    tuple_mismatch: 409,
    already_decided: 409,
    verdict_invalid: 400,
    clearance_closed: 503,
  });

/** A verdict the desk refused; `status` is what an HTTP door answers. */
export class ClearanceRefused extends UserError {
  /** The refusal's code. */
  declare readonly code: ClearanceRefusalCode;
  /** HTTP status for the code (404, 409, 400 or 503). */
  readonly status: number;
  /** Creates a refusal. */
  constructor(code: ClearanceRefusalCode, message: string) {
    super(code, message);
    this.name = "ClearanceRefused";
    this.status = CLEARANCE_REFUSAL_STATUS[code];
  }
}
