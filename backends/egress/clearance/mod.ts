/**
 * Live clearance of blocked destinations: the desk where a request to an undeclared host waits
 * for an operator's verdict (hold with a deadline, dedup, caps, scopes, persistence through a
 * `ClearanceStore`, fail closed), and the one sanitising rule for text an operator sees. The
 * egress proxy takes a desk through its `clearance` option; see docs/clearance.md.
 *
 * @example
 * ```ts
 * import { ClearanceDesk } from "./mod.ts";
 * const desk = new ClearanceDesk({ holdMs: 50 });
 * const a = await desk.request({ run_id: "r", host: "new.test", port: 443, scheme: "https" });
 * console.assert(a.decision === "deny" && a.reason === "clearance_timeout");
 * desk.close();
 * ```
 * @module
 */
export { OPERATOR_TEXT_MAX, sanitizeForOperator } from "./sanitize.ts";
export { ClearanceDesk } from "./clearance_desk.ts";
export {
  type ClearanceDeskOptions,
  DEDUP_WINDOW_MS,
  DEFAULT_HOLD_MS,
  LATE_TICKET_MS,
  MAX_HOLD_MS,
  MAX_PENDING,
  MAX_PENDING_PER_RUN,
  MAX_WAITERS_PER_RECORD,
  REMEMBER_IDS,
} from "./clearance_desk_options.ts";
export {
  type ClearanceAnswer,
  type ClearanceDeny,
  type ClearanceDenyReason,
  type ClearanceGate,
  type ClearanceRequest,
  denyAnswer,
} from "./clearance_answer.ts";
export {
  type CheckedVerdict,
  checkVerdict,
  type ClearanceVerdict,
  MAX_REASON_CHARS,
} from "./clearance_verdict.ts";
export {
  CLEARANCE_REFUSAL_STATUS,
  type ClearanceRefusalCode,
  ClearanceRefused,
} from "./clearance_error.ts";
export { MemoryClearanceStore } from "./memory_clearance_store.ts";
export { isRequestId, newRequestId } from "./request_id.ts";
export {
  encodeFrame,
  FrameReader,
  MAX_FRAME_BYTES,
  parseWireAnswer,
  parseWireRequest,
  type WireAnswer,
  WireError,
  type WireRequest,
} from "./clearance_wire.ts";
export {
  type ClearanceSocket,
  type ClearanceSocketOptions,
  MAX_IN_FLIGHT_PER_LINK,
  serveClearanceSocket,
} from "./clearance_socket.ts";
export {
  type RemoteClearanceGate,
  remoteClearanceGate,
  type RemoteGateOptions,
} from "./remote_gate.ts";
