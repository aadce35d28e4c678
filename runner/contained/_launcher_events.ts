/**
 * The contained side's wire format and the model host entry (private to the launcher;
 * re-exported from `launcher.ts`).
 * @module
 */
import { EGRESS_OBSERVED, type Event, HOST_EFFECT_OBSERVED, newEvent } from "../../core/events.ts";

/**
 * Facts only the host side may author (observed from outside the box): a contained agent that
 * emits one is forging the judge's evidence, so such lines are refused.
 */
export const HOST_ONLY_TYPES: ReadonlySet<string> = new Set([
  EGRESS_OBSERVED,
  HOST_EFFECT_OBSERVED,
]);

/** Sources only the host side uses. */
const HOST_ONLY_SOURCES: ReadonlySet<string> = new Set(["egress_proxy", "launcher"]);

const EVENT_KEYS = ["event_id", "trace_id", "task_id", "type", "ts", "source"] as const;

/**
 * Turns one `zu_event` object into an Event (chain fields dropped), or null when malformed or
 * when it claims a host-only type or source ({@link HOST_ONLY_TYPES}).
 */
export function eventFromContained(value: unknown): Event | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  for (const k of EVENT_KEYS) if (typeof v[k] !== "string" || v[k] === "") return null;
  if (HOST_ONLY_TYPES.has(v.type as string) || HOST_ONLY_SOURCES.has(v.source as string)) {
    return null;
  }
  if (v.parent_id !== null && v.parent_id !== undefined && typeof v.parent_id !== "string") {
    return null;
  }
  try {
    return newEvent({
      event_id: v.event_id as string,
      trace_id: v.trace_id as string,
      task_id: v.task_id as string,
      parent_id: (v.parent_id as string | null | undefined) ?? null,
      type: v.type as string,
      ts: v.ts as string,
      source: v.source as string,
      payload: (v.payload ?? {}) as Record<string, unknown>,
    });
  } catch {
    return null;
  }
}

/** Formats an event for the contained side: `{"zu_event": event}` on one line. */
export function containedEventLine(event: Event): string {
  return JSON.stringify({ zu_event: event });
}

/**
 * The allowlist entry for a model provider given as a host or a base URL: the URL's host, with
 * its port when it is not the scheme's default.
 *
 * @example
 * ```ts
 * import { modelHostEntry } from "./sandbox_launcher.ts";
 * console.assert(modelHostEntry("https://api.openai.com/v1") === "api.openai.com");
 * console.assert(modelHostEntry("http://llm.internal:8000/v1") === "llm.internal:8000");
 * console.assert(modelHostEntry("api.anthropic.com") === "api.anthropic.com");
 * ```
 */
export function modelHostEntry(hostOrUrl: string): string {
  if (!hostOrUrl.includes("://")) return hostOrUrl;
  const url = new URL(hostOrUrl);
  return url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
}
