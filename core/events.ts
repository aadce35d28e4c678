/**
 * The event envelope: the unit of zu's event log, with zu's wire names and type constants.
 *
 * @example
 * ```ts
 * import { newEvent, TASK_STARTED } from "./events.ts";
 * const e = newEvent({ task_id: "4f0c6a53-8f0e-4a51-9a52-3f8f2f8f1a01", type: TASK_STARTED, payload: { query: "q" } });
 * console.assert(e.trace_id === e.task_id && Object.isFrozen(e));
 * ```
 * @module
 */

/** A JSON object as carried by an event payload. Values are plain JSON (see `core/json.ts`). */
export type Payload = Readonly<Record<string, unknown>>;

/** One event of the log. Field names and order are zu's (`model_dump_json()` order). */
export interface Event {
  /** Lowercase uuid4. The idempotency key of every sink. */
  readonly event_id: string;
  /** The chain this event belongs to; defaults to `task_id`. */
  readonly trace_id: string;
  /** The task that emitted it. */
  readonly task_id: string;
  /** The causing event, or `null` for a root. */
  readonly parent_id: string | null;
  /** Starts with `harness.` or `data.`. */
  readonly type: string;
  /** UTC ISO-8601 in Pydantic's form; kept verbatim when read. */
  readonly ts: string;
  /** Who emitted it (`loop`, a tool name, a detector name, ...). */
  readonly source: string;
  /** Type-specific data; treat as read-only. */
  readonly payload: Payload;
  /** Always 1. */
  readonly schema_version: number;
  /** Hash of the previous event in the same trace; set by the canonical sink. */
  readonly prev_hash: string | null;
  /** SHA-256 hex of the canonical body; set by the canonical sink. */
  readonly hash: string | null;
  /** HMAC-SHA256 hex of `hash`, when a signing key is configured. */
  readonly sig: string | null;
}

/** Fields a caller gives to {@link newEvent}; the rest get zu's defaults. */
export interface EventInit {
  /** The task id (a uuid string). */
  task_id: string;
  /** The event type; must start with `harness.` or `data.`. */
  type: string;
  /** Defaults to `{}`. */
  payload?: Payload;
  /** Defaults to `task_id`. */
  trace_id?: string;
  /** Defaults to `null`. */
  parent_id?: string | null;
  /** Defaults to `"loop"`. */
  source?: string;
  /** Defaults to a fresh uuid4 from the id source. */
  event_id?: string;
  /** Defaults to the clock's now in Pydantic's form. */
  ts?: string;
  /** Chain fields, normally set only by a sink. */
  prev_hash?: string | null;
  /** Chain fields, normally set only by a sink. */
  hash?: string | null;
  /** Chain fields, normally set only by a sink. */
  sig?: string | null;
}

/** Seams for time and ids so replays and tests are deterministic. */
export interface EventSeams {
  /** Returns now. Defaults to `new Date()`. */
  now?: () => Date;
  /** Returns a fresh lowercase uuid4. Defaults to `crypto.randomUUID()`. */
  uuid?: () => string;
}

/** The prefixes every event type must start with. */
export const EVENT_TYPE_PREFIXES: readonly string[] = Object.freeze(["harness.", "data."]);

/**
 * Formats a date the way Pydantic writes a UTC datetime: microseconds, fraction omitted when
 * zero, `Z` suffix.
 *
 * @example
 * ```ts
 * import { formatTs } from "./events.ts";
 * console.assert(formatTs(new Date(Date.UTC(2026, 2, 14, 9, 26, 10))) === "2026-03-14T09:26:10Z");
 * ```
 */
export function formatTs(date: Date, micros?: number): string {
  const second = Math.floor(date.getTime() / 1000);
  // The whole-second part is the same for every event within a second: format it once.
  if (second !== lastSecond || Number.isNaN(second)) {
    lastBase = date.toISOString().slice(0, 19); // 2026-03-14T09:26:53.589Z
    lastSecond = second;
  }
  const us = micros ?? date.getUTCMilliseconds() * 1000;
  if (us === 0) return `${lastBase}Z`;
  return `${lastBase}.${String(us).padStart(6, "0")}Z`;
}

let lastSecond = Number.NaN;
let lastBase = "";

let lastMicros = 0;
/** Now in Pydantic's form, with strictly increasing microseconds within this process. */
function nowTs(now: () => Date): string {
  const d = now();
  let us = d.getTime() * 1000;
  if (us <= lastMicros) us = lastMicros + 1;
  lastMicros = us;
  const ms = Math.floor(us / 1000);
  return formatTs(new Date(ms), ((us % 1_000_000) + 1_000_000) % 1_000_000);
}

/** True when `type` is a valid event type (starts `harness.` or `data.`). */
export function isEventType(type: string): boolean {
  return EVENT_TYPE_PREFIXES.some((p) => type.startsWith(p) && type.length > p.length);
}

/**
 * Builds a frozen event with zu's defaults. Throws `TypeError` when `type` does not start with
 * `harness.` or `data.`.
 *
 * @example
 * ```ts
 * import { newEvent } from "./events.ts";
 * try { newEvent({ task_id: "t", type: "custom.x" }); } catch (e) { console.assert(e instanceof TypeError); }
 * ```
 */
export function newEvent(init: EventInit, seams: EventSeams = {}): Event {
  if (typeof init.type !== "string" || !isEventType(init.type)) {
    throw new TypeError(
      `Cannot create event: type "${String(init.type)}" must start with "harness." or "data."`,
    );
  }
  if (typeof init.task_id !== "string" || init.task_id.length === 0) {
    throw new TypeError("Cannot create event: task_id must be a non-empty string");
  }
  const payload = init.payload ?? {};
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new TypeError(`Cannot create event "${init.type}": payload must be a JSON object`);
  }
  const event: Event = {
    event_id: init.event_id ?? (seams.uuid ?? (() => crypto.randomUUID()))(),
    trace_id: init.trace_id ?? init.task_id,
    task_id: init.task_id,
    parent_id: init.parent_id ?? null,
    type: init.type,
    ts: init.ts ?? nowTs(seams.now ?? (() => new Date())),
    source: init.source ?? "loop",
    payload,
    schema_version: 1,
    prev_hash: init.prev_hash ?? null,
    hash: init.hash ?? null,
    sig: init.sig ?? null,
  };
  return Object.freeze(event);
}

/** Returns a frozen copy of `event` with some fields replaced (used by sinks to link). */
export function withFields(event: Event, fields: Partial<Event>): Event {
  return Object.freeze({ ...event, ...fields });
}

/** The ordered list of wire field names. */
export const EVENT_FIELDS: readonly (keyof Event)[] = Object.freeze(
  [
    "event_id",
    "trace_id",
    "task_id",
    "parent_id",
    "type",
    "ts",
    "source",
    "payload",
    "schema_version",
    "prev_hash",
    "hash",
    "sig",
  ] as const,
);

// ---- zu's stable type constants (reference §2.3) ----
/** `harness.task.started` */
export const TASK_STARTED = "harness.task.started";
/** `harness.envelope.declared` */
export const ENVELOPE_DECLARED = "harness.envelope.declared";
/** `harness.containment.attested` */
export const CONTAINMENT_ATTESTED = "harness.containment.attested";
/** `harness.turn.started` */
export const TURN_STARTED = "harness.turn.started";
/** `harness.turn.completed` */
export const TURN_COMPLETED = "harness.turn.completed";
/** `harness.tool.invoked` */
export const TOOL_INVOKED = "harness.tool.invoked";
/** `harness.gate.decided` */
export const GATE_DECIDED = "harness.gate.decided";
/** `harness.tool.returned` */
export const TOOL_RETURNED = "harness.tool.returned";
/** `data.source.fetched` */
export const SOURCE_FETCHED = "data.source.fetched";
/** `harness.detector.fired` */
export const DETECTOR_FIRED = "harness.detector.fired";
/** `harness.monitor.fired` */
export const MONITOR_FIRED = "harness.monitor.fired";
/** `harness.check.crashed` */
export const CHECK_CRASHED = "harness.check.crashed";
/** `harness.validation.failed` */
export const VALIDATION_FAILED = "harness.validation.failed";
/** `harness.task.escalated` */
export const TASK_ESCALATED = "harness.task.escalated";
/** `harness.task.completed` */
export const TASK_COMPLETED = "harness.task.completed";
/** `harness.task.terminal` */
export const TASK_TERMINAL = "harness.task.terminal";
/** `harness.defense.blocked` */
export const DEFENSE_BLOCKED = "harness.defense.blocked";
/** `harness.taint.raised` */
export const TAINT_RAISED = "harness.taint.raised";
/** `harness.quarantine.escape_attempt` */
export const QUARANTINE_ESCAPE_ATTEMPT = "harness.quarantine.escape_attempt";
/** `harness.rail.disarmed` */
export const RAIL_DISARMED = "harness.rail.disarmed";
/** `harness.rail.verified` */
export const RAIL_VERIFIED = "harness.rail.verified";
/** `harness.approval.requested` */
export const APPROVAL_REQUESTED = "harness.approval.requested";
/** `harness.run.paused` */
export const RUN_PAUSED = "harness.run.paused";
/** `harness.approval.resolved` */
export const APPROVAL_RESOLVED = "harness.approval.resolved";
/** `harness.run.resumed` */
export const RUN_RESUMED = "harness.run.resumed";
/** `harness.grant.updated` */
export const GRANT_UPDATED = "harness.grant.updated";
/** `harness.execution.claimed` */
export const EXECUTION_CLAIMED = "harness.execution.claimed";
/** `harness.checkpoint.marked` */
export const CHECKPOINT_MARKED = "harness.checkpoint.marked";
/** `harness.run.rolled_back` */
export const RUN_ROLLED_BACK = "harness.run.rolled_back";
/** `harness.step.escalated` */
export const STEP_ESCALATED = "harness.step.escalated";
/** `harness.step.repaired` */
export const STEP_REPAIRED = "harness.step.repaired";
/** `harness.capability.used` */
export const CAPABILITY_USED = "harness.capability.used";
/** `harness.grant.issued` */
export const GRANT_ISSUED = "harness.grant.issued";
/** `harness.grant.revoked` */
export const GRANT_REVOKED = "harness.grant.revoked";
/** `harness.egress.observed` */
export const EGRESS_OBSERVED = "harness.egress.observed";
/** `harness.egress.credential`: a secret was used (or refused) at the broker or the proxy. */
export const EGRESS_CREDENTIAL = "harness.egress.credential";
/** `harness.egress.secret_echo`: a bound host echoed a real secret value; it was redacted. */
export const EGRESS_SECRET_ECHO = "harness.egress.secret_echo";
/** `harness.egress.pending`: a request to an undeclared host is held while an operator is asked. */
export const EGRESS_PENDING = "harness.egress.pending";
/** `harness.egress.clearance`: an operator's verdict (or the deadline) on a held request. */
export const EGRESS_CLEARANCE = "harness.egress.clearance";
/** `harness.host_effect.observed` */
export const HOST_EFFECT_OBSERVED = "harness.host_effect.observed";
/** `harness.pipeline.started` */
export const PIPELINE_STARTED = "harness.pipeline.started";
/** `harness.pipeline.phase.started` */
export const PIPELINE_PHASE_STARTED = "harness.pipeline.phase.started";
/** `harness.pipeline.phase.completed` */
export const PIPELINE_PHASE_COMPLETED = "harness.pipeline.phase.completed";
/** `harness.pipeline.phase.skipped` */
export const PIPELINE_PHASE_SKIPPED = "harness.pipeline.phase.skipped";
/** `harness.pipeline.completed` */
export const PIPELINE_COMPLETED = "harness.pipeline.completed";
/** `harness.pipeline.failed` */
export const PIPELINE_FAILED = "harness.pipeline.failed";
/** `harness.git_gate.pushed`: a push the git gate accepted into the run's quarantine namespace. */
export const GIT_GATE_PUSHED = "harness.git_gate.pushed";
/** `harness.git_gate.refused`: a request or ref update the git gate refused. */
export const GIT_GATE_REFUSED = "harness.git_gate.refused";
/** `harness.git_gate.forwarded`: a quarantined branch the operator pushed upstream. */
export const GIT_GATE_FORWARDED = "harness.git_gate.forwarded";
/** `harness.git_gate.dropped`: a quarantined branch the operator discarded. */
export const GIT_GATE_DROPPED = "harness.git_gate.dropped";
/** `data.record.extracted` */
export const RECORD_EXTRACTED = "data.record.extracted";
/** `data.surface.captured` */
export const SURFACE_CAPTURED = "data.surface.captured";
/** `data.content.captured` */
export const CONTENT_CAPTURED = "data.content.captured";
/** `data.pointer.dispatched` */
export const POINTER_DISPATCHED = "data.pointer.dispatched";
/** `data.effect.verified` */
export const EFFECT_VERIFIED = "data.effect.verified";
/** `data.settle.waited` */
export const SETTLE_WAITED = "data.settle.waited";
/** `data.handle.rebound` */
export const HANDLE_REBOUND = "data.handle.rebound";
/** `data.pattern.recognized` */
export const PATTERN_RECOGNIZED = "data.pattern.recognized";

/** Every `harness.*` type zu defines. */
export const HARNESS_TYPES: ReadonlySet<string> = new Set([
  TASK_STARTED,
  ENVELOPE_DECLARED,
  CONTAINMENT_ATTESTED,
  TURN_STARTED,
  TURN_COMPLETED,
  TOOL_INVOKED,
  GATE_DECIDED,
  TOOL_RETURNED,
  DETECTOR_FIRED,
  MONITOR_FIRED,
  CHECK_CRASHED,
  VALIDATION_FAILED,
  TASK_ESCALATED,
  TASK_COMPLETED,
  TASK_TERMINAL,
  DEFENSE_BLOCKED,
  TAINT_RAISED,
  QUARANTINE_ESCAPE_ATTEMPT,
  RAIL_DISARMED,
  RAIL_VERIFIED,
  APPROVAL_REQUESTED,
  RUN_PAUSED,
  APPROVAL_RESOLVED,
  RUN_RESUMED,
  GRANT_UPDATED,
  EXECUTION_CLAIMED,
  CHECKPOINT_MARKED,
  RUN_ROLLED_BACK,
  STEP_ESCALATED,
  STEP_REPAIRED,
  CAPABILITY_USED,
  GRANT_ISSUED,
  GRANT_REVOKED,
  EGRESS_OBSERVED,
  EGRESS_CREDENTIAL,
  EGRESS_SECRET_ECHO,
  EGRESS_PENDING,
  EGRESS_CLEARANCE,
  HOST_EFFECT_OBSERVED,
  PIPELINE_STARTED,
  PIPELINE_PHASE_STARTED,
  PIPELINE_PHASE_COMPLETED,
  PIPELINE_PHASE_SKIPPED,
  PIPELINE_COMPLETED,
  PIPELINE_FAILED,
  GIT_GATE_PUSHED,
  GIT_GATE_REFUSED,
  GIT_GATE_FORWARDED,
  GIT_GATE_DROPPED,
]);

/** Every `data.*` type zu defines (the `data.shadow.*` recorder family is open-ended). */
export const DATA_TYPES: ReadonlySet<string> = new Set([
  SOURCE_FETCHED,
  RECORD_EXTRACTED,
  SURFACE_CAPTURED,
  CONTENT_CAPTURED,
  POINTER_DISPATCHED,
  EFFECT_VERIFIED,
  SETTLE_WAITED,
  HANDLE_REBOUND,
  PATTERN_RECOGNIZED,
]);

/** The union of {@link HARNESS_TYPES} and {@link DATA_TYPES}. */
export const ALL_TYPES: ReadonlySet<string> = new Set([...HARNESS_TYPES, ...DATA_TYPES]);
