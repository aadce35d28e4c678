/**
 * Ids as `zu events` prints them work as its arguments: a trace, task or event id may be given
 * whole or as a unique prefix (`zu events list` shows `trace=1b2c3d4e`). An exact id always wins;
 * a prefix that starts more than one id is a one-line `UserError` listing the candidates.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { EventSink } from "../core/types.ts";

/** The id fields a prefix may name. */
export type IdField = "trace_id" | "task_id" | "event_id";

const WHAT: Record<IdField, string> = {
  trace_id: "trace",
  task_id: "task",
  event_id: "event",
};

/** At most this many candidates are named in an ambiguity error. */
const SHOWN = 5;

/**
 * The full id in `field` that `given` names: `given` itself when some event has it, else the one
 * id that starts with it, else `given` unchanged (no event matches; the caller says so). Throws a
 * `UserError` (`usage`) when the prefix starts several ids.
 */
export async function resolveIdPrefix(
  sink: EventSink,
  field: IdField,
  given: string,
): Promise<string> {
  if (given === "") return given;
  if ((await sink.count({ [field]: given })) > 0) return given;
  const found = new Set<string>();
  for await (const e of sink.stream({})) {
    const id = e[field];
    if (typeof id === "string" && id.startsWith(given)) found.add(id);
  }
  if (found.size <= 1) return [...found][0] ?? given;
  const ids = [...found].sort();
  const shown = ids.slice(0, SHOWN).map((i) => `"${i}"`).join(", ");
  const more = ids.length > SHOWN ? ` and ${ids.length - SHOWN} more` : "";
  throw new UserError(
    "usage",
    `Cannot pick a ${
      WHAT[field]
    } for "${given}": it starts ${ids.length} ids (${shown}${more}); give more characters`,
  );
}
