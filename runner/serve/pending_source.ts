/**
 * The pending seam of `zu serve`: the default empty {@link PendingSource}, a combinator that
 * serves several sources (clearances and approvals) as one, and the validation of a verdict body
 * posted to `POST /v1/pending/:id`.
 *
 * @example
 * ```ts
 * import { combinePendingSources, EMPTY_PENDING_SOURCE, parseVerdict } from "./pending_source.ts";
 * const source = combinePendingSources([EMPTY_PENDING_SOURCE]);
 * console.assert((await source.list()).length === 0);
 * const v = parseVerdict({ action: "allow", scope: "once" }, "serve");
 * console.assert("verdict" in v && v.verdict.action === "allow");
 * console.assert((await source.verdict("x", { action: "deny", by: "serve" })).status === 404);
 * ```
 * @module
 */
import type {
  PendingAction,
  PendingAnswer,
  PendingItem,
  PendingScope,
  PendingSource,
  PendingVerdict,
} from "../../core/types.ts";

/** The verdict actions accepted. */
export const PENDING_ACTIONS: readonly PendingAction[] = ["allow", "deny", "approve", "reject"];
/** The clearance scopes accepted. */
export const PENDING_SCOPES: readonly PendingScope[] = ["once", "run", "persist"];

/** The answer for an id no source issued. */
export const UNKNOWN_REQUEST: PendingAnswer = Object.freeze({
  status: 404,
  body: { error: "unknown_request" },
});

/** A source with nothing pending: every verdict is for an unknown request. */
export const EMPTY_PENDING_SOURCE: PendingSource = Object.freeze({
  list: () => Promise.resolve([]),
  verdict: () => Promise.resolve(UNKNOWN_REQUEST),
});

/**
 * Several sources as one: the lists concatenated; a verdict goes to each source in turn until one
 * answers other than 404 (ids are unguessable, so at most one source knows an id).
 */
export function combinePendingSources(sources: readonly PendingSource[]): PendingSource {
  return {
    async list(): Promise<PendingItem[]> {
      const lists = await Promise.all(sources.map((s) => s.list()));
      return lists.flat();
    },
    async verdict(id: string, body: PendingVerdict): Promise<PendingAnswer> {
      for (const source of sources) {
        const answer = await source.verdict(id, body);
        if (answer.status !== 404) return answer;
      }
      return UNKNOWN_REQUEST;
    },
  };
}

/** A 400 answer for a malformed verdict. */
export interface VerdictError {
  /** The error code (`bad_action`, `bad_request`). */
  error: string;
  /** One line. */
  message: string;
}

const KEYS = new Set(["action", "run", "host", "port", "scope", "reason"]);

/** Validates a posted verdict body; `by` is set by the door, never by the client. */
export function parseVerdict(
  body: unknown,
  by: string,
): { verdict: PendingVerdict } | VerdictError {
  const bad = (message: string): VerdictError => ({ error: "bad_request", message });
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return bad("The body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!KEYS.has(k)) return bad(`Unknown field "${k.slice(0, 40)}"`);
  if (typeof b.action !== "string" || !(PENDING_ACTIONS as readonly string[]).includes(b.action)) {
    return { error: "bad_action", message: `action must be one of ${PENDING_ACTIONS.join(", ")}` };
  }
  const verdict: PendingVerdict = { action: b.action as PendingAction, by };
  if (b.run !== undefined) {
    if (typeof b.run !== "string" || b.run.length > 200) return bad("run must be a string");
    verdict.run = b.run;
  }
  if (b.host !== undefined) {
    if (typeof b.host !== "string" || b.host.length > 255) return bad("host must be a string");
    verdict.host = b.host;
  }
  if (b.port !== undefined) {
    if (!Number.isInteger(b.port) || (b.port as number) < 0 || (b.port as number) > 65535) {
      return bad("port must be an integer 0-65535");
    }
    verdict.port = b.port as number;
  }
  if (b.scope !== undefined) {
    if (typeof b.scope !== "string" || !(PENDING_SCOPES as readonly string[]).includes(b.scope)) {
      return bad(`scope must be one of ${PENDING_SCOPES.join(", ")}`);
    }
    verdict.scope = b.scope as PendingScope;
  }
  if (b.reason !== undefined) {
    if (typeof b.reason !== "string" || b.reason.length > 1000) {
      return bad("reason must be a string of at most 1000 characters");
    }
    verdict.reason = b.reason;
  }
  return { verdict };
}
