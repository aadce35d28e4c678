/**
 * The defaults and options of the clearance desk: hold 25 s (at most 120 s), dedup window 30 s,
 * 16 pending per run and 256 per desk, 4096 ids remembered.
 *
 * @example
 * ```ts
 * import { DEFAULT_HOLD_MS, MAX_HOLD_MS } from "./clearance_desk_options.ts";
 * console.assert(DEFAULT_HOLD_MS === 25_000 && MAX_HOLD_MS === 120_000);
 * ```
 * @module
 */
import type {
  ClearanceDecision,
  ClearancePending,
  ClearanceStore,
  Clock,
} from "../../../core/types.ts";

/** Default hold: 25 s. */
export const DEFAULT_HOLD_MS = 25_000;
/** Longest hold a desk accepts. */
export const MAX_HOLD_MS = 120_000;
/** Default dedup window: 30 s. */
export const DEDUP_WINDOW_MS = 30_000;
/** Default cap of pending records per run. */
export const MAX_PENDING_PER_RUN = 16;
/** Default cap of pending records per desk. */
export const MAX_PENDING = 256;
/** Default number of records remembered (older ids are unknown). */
export const REMEMBER_IDS = 4096;
/** Most callers held on one record; more are refused `clearance_queue_full`. */
export const MAX_WAITERS_PER_RECORD = 64;
/** How long a late `once` verdict waits for the next request it applies to: 10 minutes. */
export const LATE_TICKET_MS = 600_000;

/** Options of {@link ClearanceDesk}. */
export interface ClearanceDeskOptions {
  /** Hold time in ms (default 25 000, at most 120 000), or `"off"` / 0: deny at once. */
  holdMs?: number | "off";
  /** Repeats within this many ms attach to the same record. Default 30 000. */
  dedupWindowMs?: number;
  /** Pending records per run. Default 16. */
  maxPendingPerRun?: number;
  /** Pending records per desk. Default 256. */
  maxPending?: number;
  /** Records remembered for verdicts (older ids are unknown). Default 4096. */
  rememberIds?: number;
  /** Where `persist` rules live; read when the desk opens. Default an in-memory store. */
  store?: ClearanceStore;
  /** Receives each new pending record (emit `harness.egress.pending`). */
  onPending?: (pending: ClearancePending) => void;
  /** Receives each verdict and deadline (emit `harness.egress.clearance`). */
  onVerdict?: (decision: ClearanceDecision) => void;
  /** Time seam. Default the system clock. */
  clock?: Clock;
  /** Id seam. Default uuid v7. */
  newId?: (nowMs: number) => string;
  /** Closes the desk (fail closed) when aborted: tie it to the verdict channel's life. */
  signal?: AbortSignal;
}
