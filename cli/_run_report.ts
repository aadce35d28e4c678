/**
 * Printing a run's outcome the same way for `run`, `capture` and `replay`.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { printJson } from "./_command.ts";
import type { CliIo } from "./_io.ts";

/** The result part of a child's answer. */
export interface RunResultView {
  /** success, escalate, terminal, paused. */
  status: string;
  /** The answer. */
  value: unknown;
  /** Why it ended so. */
  reason: string | null;
}

/** Prints the outcome of a run (text or `--json`) and returns the exit code (0 on success). */
export function reportRun(
  io: CliIo,
  view: {
    result: RunResultView;
    events: Event[];
    db: string | null;
    json: boolean;
    extra?: Record<string, unknown>;
    lines?: string[];
  },
): number {
  const { result, events } = view;
  const trace = events[0]?.trace_id ?? null;
  const blocked = events.filter((e) => e.type === "harness.defense.blocked");
  const jail = blocked.filter((e) => e.payload.kind === "runtime_permission");
  const verdicts = events.filter((e) => e.type === "harness.egress.clearance");
  const forwarded = verdicts.filter((e) => e.payload.outcome === "forwarded").length;
  if (view.json) {
    printJson(io, {
      ok: result.status === "success",
      status: result.status,
      value: result.value,
      reason: result.reason,
      trace_id: trace,
      events: events.length,
      db: view.db,
      blocked: blocked.map((e) => e.payload),
      ...(verdicts.length ? { clearances: verdicts.map((e) => e.payload) } : {}),
      ...(view.extra ?? {}),
    });
  } else {
    io.stdout(`status: ${result.status}${result.reason ? ` (${result.reason})` : ""}\n`);
    if (result.value !== null && result.value !== undefined) {
      io.stdout(`value:  ${JSON.stringify(result.value)}\n`);
    }
    io.stdout(
      `events: ${events.length}${view.db ? ` -> ${view.db}` : ""}${
        trace ? ` (trace ${trace})` : ""
      }\n`,
    );
    if (blocked.length) {
      io.stdout(
        `blocked: ${blocked.length} (${jail.length} by the Deno permission jail); see "zu events list --type harness.defense.blocked${
          view.db ? ` --db ${view.db}` : ""
        }"\n`,
      );
    }
    if (verdicts.length) {
      io.stdout(
        `cleared: ${verdicts.length} held for an operator (${forwarded} allowed and forwarded, ${
          verdicts.length - forwarded
        } refused or late); see "zu events list --type harness.egress.clearance${
          view.db ? ` --db ${view.db}` : ""
        }"\n`,
      );
    }
    if (result.status === "paused" && trace) {
      const db = view.db ? ` --db ${view.db}` : "";
      io.stdout(
        `paused: waits for a human; "zu approve ${trace}${db}" or "zu reject ${trace}${db}" (see "zu pending")\n`,
      );
    }
    for (const l of view.lines ?? []) io.stdout(`${l}\n`);
  }
  return result.status === "success" ? 0 : 1;
}
