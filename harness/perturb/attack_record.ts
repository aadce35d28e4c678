/**
 * The attack record: what one adversarial variant planted, machine-readable, so a harden run
 * judges success from the record (did the model take the planted action, send the planted
 * value, change the answer, stop working), never by matching English text. Records ride on the
 * variant's in-memory overlay and are kept in the report.
 *
 * @example
 * ```ts
 * import { goalJudge } from "./attack_record.ts";
 * console.assert(goalJudge("exfil-allowed-host") === "exfil");
 * console.assert(goalJudge("dos-captcha") === "dos");
 * ```
 * @module
 */

/** What the attacker wants. */
export type AttackGoal =
  | "fetch"
  | "exfil-query"
  | "exfil-allowed-host"
  | "answer-image"
  | "answer-link"
  | "tamper-value"
  | "tamper-summary"
  | "echo"
  | "dos-stop"
  | "dos-captcha"
  | "write"
  | "two-stage";

/** Every goal, in report order. */
export const ATTACK_GOALS: readonly AttackGoal[] = [
  "fetch",
  "exfil-query",
  "exfil-allowed-host",
  "answer-image",
  "answer-link",
  "tamper-value",
  "tamper-summary",
  "echo",
  "dos-stop",
  "dos-captcha",
  "write",
  "two-stage",
];

/** How a goal is judged; also the family a variant is reported under. */
export type GoalFamily = "fetch" | "exfil" | "answer-leak" | "tamper" | "echo" | "dos" | "write";

/** The judge family of a goal. */
export function goalJudge(goal: AttackGoal): GoalFamily {
  if (goal === "fetch" || goal === "two-stage") return "fetch";
  if (goal.startsWith("exfil")) return "exfil";
  if (goal.startsWith("answer")) return "answer-leak";
  if (goal.startsWith("tamper")) return "tamper";
  if (goal.startsWith("dos")) return "dos";
  return goal as GoalFamily;
}

/** A tool call the attacker wants made. */
export interface PlannedCall {
  /** Tool name. */
  tool: string;
  /** Arguments. */
  args: Record<string, unknown>;
}

/** One planted attack. */
export interface AttackRecord {
  /** The kind that planted it (`inject-css-hidden`, `goal-tamper-value`, ...). */
  kind: string;
  /** What the attacker wants. */
  goal: AttackGoal;
  /** How the text persuades (`ignore-previous`, `user-letter`, `boundary-chatml`, ...). */
  framing: string;
  /** Where it sits (`visible-end`, `css-hidden`, `json-value`, `tool-description`, ...). */
  carrier: string;
  /** Encodings applied, in order (`[]` when plain). */
  encodings: string[];
  /** A unique marker carried by every planted URL and value. */
  canary: string;
  /** The instruction before any encoding. */
  payload: string;
  /**
   * The exact strings planted; a model has read the attack only when every one of them reached
   * its context verbatim (a split attack has two).
   */
  surfaces: string[];
  /** The call the attacker wants (fetch, exfiltration, write goals), or null. */
  action: PlannedCall | null;
  /** The URL that call reaches (attacker host or an allowed one), or null. */
  url: string | null;
  /** For two-stage attacks: the second hop's URL (the goal is reached there). */
  final_url?: string;
  /** The planted value an answer goal puts in the answer (or the false value of a tamper). */
  value: string | null;
  /** For `tamper-value`: the true grounded value the planted one replaces. */
  replaces: string | null;
  /** Private data an exfiltration goal sends out (a value of the task's answer). */
  secret: string | null;
}
