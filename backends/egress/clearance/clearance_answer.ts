/**
 * What the clearance desk answers a request: allow (held or not) or deny with a reason and a
 * short printable-ASCII message the model can read (the egress proxy's 403 body).
 *
 * @example
 * ```ts
 * import { denyAnswer } from "./clearance_answer.ts";
 * const a = denyAnswer("clearance_timeout", null, "retry\x1b later");
 * console.assert(a.decision === "deny" && a.message === "retry  later");
 * ```
 * @module
 */
import { OPERATOR_TEXT_MAX, sanitizeForOperator } from "./sanitize.ts";

/** Why the desk refused a request. */
export type ClearanceDenyReason =
  | "operator"
  | "clearance_timeout"
  | "clearance_queue_full"
  | "clearance_off"
  | "clearance_closed"
  | "clearance_store_failed"
  | "clearance_aborted";

/** The desk's answer to one request. */
export type ClearanceAnswer =
  | {
    decision: "allow";
    /** The record or rule's request id (null for a rule without one). */
    request_id: string | null;
    /** Whether the caller was held for a verdict (false: a rule or a late verdict decided). */
    held: boolean;
  }
  | {
    decision: "deny";
    reason: ClearanceDenyReason;
    request_id: string | null;
    /** A short printable-ASCII text the model can read. */
    message: string;
  };

/** The deny form of {@link ClearanceAnswer}. */
export type ClearanceDeny = Extract<ClearanceAnswer, { decision: "deny" }>;

/** One request to clear: normalised host and port, and where it came from. */
export interface ClearanceRequest {
  /** The run asking. */
  run_id: string;
  /** Normalised host. */
  host: string;
  /** Port. */
  port: number;
  /** `https` (CONNECT) or `http`. */
  scheme: string;
  /** TLS server name, when known before the hold. */
  sni?: string;
  /** Gives up holding (the proxy closing): answers `clearance_aborted`. */
  signal?: AbortSignal;
}

/**
 * A deny answer; `message` is sanitised (printable ASCII, at most 253 characters).
 *
 * @example
 * ```ts
 * import { denyAnswer } from "./clearance_answer.ts";
 * console.assert(denyAnswer("operator", "id", "no").reason === "operator");
 * ```
 */
export function denyAnswer(
  reason: ClearanceDenyReason,
  requestId: string | null,
  message: string,
): ClearanceDeny {
  return {
    decision: "deny",
    reason,
    request_id: requestId,
    message: sanitizeForOperator(message, OPERATOR_TEXT_MAX),
  };
}

/**
 * What asks for a clearance: a {@link ClearanceRequest} in, a {@link ClearanceAnswer} out. The
 * host's `ClearanceDesk` is one; a client of a desk in another process (the sidecar asking the
 * host over a socket, a jail's permission broker) is another. It must answer deny on any failure
 * of its channel (fail closed), never throw for a refusal.
 */
export interface ClearanceGate {
  /** Answers one request, holding it until a verdict, the deadline or a failure. */
  request(req: ClearanceRequest): Promise<ClearanceAnswer>;
}
