/**
 * The filter contract every sink shares (zu's `eventstore.py`): allowlisted columns plus
 * registered `payload.ctx` fields, with SQLite's semantics everywhere.
 *
 * - a column key (`event_id, trace_id, task_id, parent_id, type, source`) matches by string
 *   equality; `null` means IS NULL;
 * - a registered ctx field matches `str(payload.ctx[field])` (Python's `str`: `42` -> `"42"`,
 *   `null` -> `"None"`); `null` means the event has no such ctx key;
 * - any other key is a `TypeError` naming it.
 *
 * @module
 */
import { pyStr } from "../core/python/repr.ts";
import type { Event } from "../core/events.ts";
import type { EventFilter } from "../core/types.ts";

/** The column keys a filter may use. */
export const FILTER_COLUMNS: readonly string[] = Object.freeze([
  "event_id",
  "trace_id",
  "task_id",
  "parent_id",
  "type",
  "source",
]);

const COLUMN_SET = new Set(FILTER_COLUMNS);

/** True when `field` is an allowlisted column. */
export function isFilterColumn(field: string): boolean {
  return COLUMN_SET.has(field);
}

/** Checks a ctx field name before registering it. Throws `TypeError` on a bad name. */
export function checkFilterFieldName(field: string): void {
  if (typeof field !== "string" || field.length === 0) {
    throw new TypeError(
      `Cannot register filter field "${String(field)}": it must be a non-empty string`,
    );
  }
  if (COLUMN_SET.has(field)) {
    throw new TypeError(`Cannot register filter field "${field}": it is already a column`);
  }
}

/** One normalised filter clause. */
export interface FilterClause {
  /** The key. */
  field: string;
  /** True for a column, false for a ctx field. */
  column: boolean;
  /** The string compared, or null (IS NULL / no index row). */
  value: string | null;
}

/**
 * Validates `filter` against the allowlist and the registered ctx fields and returns its clauses.
 * Throws `TypeError` naming the first unknown key.
 */
export function compileFilter(
  filter: EventFilter | undefined,
  ctxFields: ReadonlySet<string>,
): FilterClause[] {
  const clauses: FilterClause[] = [];
  if (filter === undefined || filter === null) return clauses;
  if (typeof filter !== "object") {
    throw new TypeError(`Cannot filter events: the filter must be an object, got ${typeof filter}`);
  }
  for (const [field, raw] of Object.entries(filter)) {
    if (raw === undefined) continue;
    const column = COLUMN_SET.has(field);
    if (!column && !ctxFields.has(field)) {
      const allowed = [...FILTER_COLUMNS, ...[...ctxFields].sort()].map((k) => `"${k}"`).join(", ");
      throw new TypeError(
        `Cannot filter events: unknown filter key "${field}" (allowed: ${allowed})`,
      );
    }
    clauses.push({ field, column, value: raw === null ? null : pyStr(raw) });
  }
  return clauses;
}

/** The ctx object of an event's payload, or null. */
export function eventCtx(event: Event): Record<string, unknown> | null {
  const ctx = (event.payload as Record<string, unknown> | undefined)?.ctx;
  return ctx !== null && typeof ctx === "object" && !Array.isArray(ctx)
    ? ctx as Record<string, unknown>
    : null;
}

/** The `(field, str(value))` pairs the SQLite sink indexes for `event`. */
export function ctxIndexEntries(event: Event, ctxFields: Iterable<string>): [string, string][] {
  const ctx = eventCtx(event);
  if (ctx === null) return [];
  const out: [string, string][] = [];
  for (const f of ctxFields) {
    if (Object.hasOwn(ctx, f)) out.push([f, pyStr(ctx[f])]);
  }
  return out;
}

/** True when `event` satisfies every clause. */
export function matchesClauses(event: Event, clauses: readonly FilterClause[]): boolean {
  for (const c of clauses) {
    if (c.column) {
      const v = (event as unknown as Record<string, unknown>)[c.field];
      if (c.value === null ? v !== null && v !== undefined : v !== c.value) return false;
    } else {
      const ctx = eventCtx(event);
      const has = ctx !== null && Object.hasOwn(ctx, c.field);
      if (c.value === null) {
        if (has) return false;
      } else if (!has || pyStr(ctx![c.field]) !== c.value) return false;
    }
  }
  return true;
}

/** Validates a `limit` / `afterSeq` / `batchSize` option. */
export function checkNonNegativeInt(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new RangeError(
      `Cannot read events: "${name}" must be a non-negative integer, got "${String(v)}"`,
    );
  }
  return v;
}
