/**
 * zu's browser action schema, shared by the tools (validation before a sandbox starts) and the
 * in-container renderer and session server (validation again before anything touches a page).
 *
 * An action is `{click|fill|select|wait_for: <CSS or text= selector>, value?: string,
 * near?: string}` (exactly one verb) or `{wait_ms: n}`. Any other key is rejected.
 *
 * Pure data: no imports, so it ships into the browser image unchanged.
 *
 * @example
 * ```ts
 * import { validateActions } from "./actions.ts";
 * const ok = validateActions([{ fill: "#q", value: "shoes" }, { click: "text=Search" }]);
 * console.assert(ok.length === 2);
 * try {
 *   validateActions([{ click: "#go", onclick: "alert(1)" }]);
 * } catch (e) {
 *   console.assert((e as Error).name === "InvalidActionError");
 * }
 * ```
 * @module
 */

/** The selector verbs. */
export const ACTION_VERBS: readonly ["click", "fill", "select", "wait_for"] = [
  "click",
  "fill",
  "select",
  "wait_for",
];

/** A selector verb. */
export type ActionVerb = typeof ACTION_VERBS[number];

/** One validated action. */
export type BrowserAction =
  | { verb: ActionVerb; selector: string; value?: string; near?: string }
  | { verb: "wait_ms"; ms: number };

/** Most actions in one call. */
export const MAX_ACTIONS = 50;
/** Longest `wait_ms`. */
export const MAX_WAIT_MS = 30_000;
const MAX_SELECTOR = 1_000;
const MAX_VALUE = 10_000;

/** An action list that does not follow the schema (the tool answers `blocked:"invalid_action"`). */
export class InvalidActionError extends Error {
  /** The observation field `blocked`. */
  readonly blocked = "invalid_action";
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "InvalidActionError";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateOne(raw: unknown, index: number): BrowserAction {
  if (!isRecord(raw)) throw new InvalidActionError(`Invalid action #${index}: expected an object`);
  const keys = Object.keys(raw);
  if ("wait_ms" in raw) {
    const stray = keys.filter((k) => k !== "wait_ms");
    if (stray.length > 0) {
      throw new InvalidActionError(
        `Invalid action #${index}: unexpected key "${stray[0]}" next to "wait_ms"`,
      );
    }
    const ms = raw["wait_ms"];
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > MAX_WAIT_MS) {
      throw new InvalidActionError(
        `Invalid action #${index}: "wait_ms" must be a number from 0 to ${MAX_WAIT_MS}`,
      );
    }
    return { verb: "wait_ms", ms: Math.round(ms) };
  }
  const verbs = keys.filter((k): k is ActionVerb =>
    (ACTION_VERBS as readonly string[]).includes(k)
  );
  if (verbs.length !== 1) {
    throw new InvalidActionError(
      `Invalid action #${index}: expected exactly one of "click", "fill", "select", "wait_for" or "wait_ms"`,
    );
  }
  const verb = verbs[0] as ActionVerb;
  const stray = keys.filter((k) => k !== verb && k !== "value" && k !== "near");
  if (stray.length > 0) {
    throw new InvalidActionError(`Invalid action #${index}: unexpected key "${stray[0]}"`);
  }
  const selector = raw[verb];
  if (typeof selector !== "string" || selector.trim() === "" || selector.length > MAX_SELECTOR) {
    throw new InvalidActionError(
      `Invalid action #${index}: "${verb}" must be a non-empty selector string`,
    );
  }
  const action: BrowserAction = { verb, selector };
  for (const key of ["value", "near"] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v.length > MAX_VALUE) {
      throw new InvalidActionError(`Invalid action #${index}: "${key}" must be a string`);
    }
    action[key] = v;
  }
  if ((verb === "fill" || verb === "select") && action.value === undefined) {
    throw new InvalidActionError(`Invalid action #${index}: "${verb}" needs a "value"`);
  }
  return action;
}

/**
 * Validates an action list (`undefined` and `null` mean none). Throws
 * {@linkcode InvalidActionError} on the first action that does not follow the schema.
 */
export function validateActions(value: unknown): BrowserAction[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidActionError(`Invalid actions: expected a list`);
  if (value.length > MAX_ACTIONS) {
    throw new InvalidActionError(`Invalid actions: at most ${MAX_ACTIONS} actions per call`);
  }
  return value.map((a, i) => validateOne(a, i));
}

/** The wire form of a validated action (what the tool sends into the sandbox). */
export function actionToWire(action: BrowserAction): Record<string, unknown> {
  if (action.verb === "wait_ms") return { wait_ms: action.ms };
  const out: Record<string, unknown> = { [action.verb]: action.selector };
  if (action.value !== undefined) out["value"] = action.value;
  if (action.near !== undefined) out["near"] = action.near;
  return out;
}
