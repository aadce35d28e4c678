/**
 * Value types shared by every layer: task, budget, result, verdicts, model messages.
 * Defaults are zu's (reference §2.1).
 *
 * @example
 * ```ts
 * import { newTaskSpec } from "./contracts.ts";
 * const spec = newTaskSpec({ query: "Find the price" });
 * console.assert(spec.budget.max_steps === 20 && spec.max_tier === 2);
 * ```
 * @module
 */

/** How a run ended. */
export type Status = "success" | "escalate" | "terminal" | "paused";

/** Limits of one run. Field names are zu's. */
export interface Budget {
  /** Model turns. Default 20. */
  max_steps: number;
  /** Total tokens. Default 200,000. */
  max_tokens: number;
  /** Wall-clock seconds. Default 120. */
  wall_time_s: number;
  /** Tool calls in one model response. Default 32. */
  max_tool_calls: number;
  /** Auto-settle cap in ms (0 = off). Default 0. */
  settle_ms_max: number;
  /** Stale-element retries. Default 2. */
  stale_retries_max: number;
}

/** zu's default budget. */
export const DEFAULT_BUDGET: Readonly<Budget> = Object.freeze({
  max_steps: 20,
  max_tokens: 200_000,
  wall_time_s: 120,
  max_tool_calls: 32,
  settle_ms_max: 0,
  stale_retries_max: 2,
});

/** What to do: the task given to `runTask`. */
export interface TaskSpec {
  /** A uuid string; `trace_id` defaults to it. */
  task_id: string;
  /** The user's question. */
  query: string;
  /** Optional target (usually a URL). */
  target: string | null;
  /** JSON Schema of the answer (`{}` = anything). */
  output_schema: Record<string, unknown>;
  /** Limits. */
  budget: Budget;
  /** Highest tier the run may climb to. Default 2. */
  max_tier: number;
  /** Starts tainted. Default false. */
  tainted: boolean;
  /** `execute` (default) or `explore`. */
  mode: "execute" | "explore";
  /** Quarantined runs see no tools. Default false. */
  quarantined: boolean;
}

/** Builds a {@link TaskSpec} with zu's defaults. */
export function newTaskSpec(
  init: Partial<Omit<TaskSpec, "budget">> & { query: string; budget?: Partial<Budget> },
): TaskSpec {
  return {
    task_id: init.task_id ?? crypto.randomUUID(),
    query: init.query,
    target: init.target ?? null,
    output_schema: init.output_schema ?? {},
    budget: { ...DEFAULT_BUDGET, ...(init.budget ?? {}) },
    max_tier: init.max_tier ?? 2,
    tainted: init.tainted ?? false,
    mode: init.mode ?? "execute",
    quarantined: init.quarantined ?? false,
  };
}

/** The outcome of a run. */
export interface Result {
  /** How it ended. */
  status: Status;
  /** The answer on success. */
  value: Record<string, unknown> | null;
  /** Detector name, budget reason, or approval id. */
  reason: string | null;
}

/** Verdict severities, weakest first. */
export const SEVERITIES = ["warn", "retry", "escalate", "deny", "terminal"] as const;
/** One verdict severity. */
export type Severity = typeof SEVERITIES[number];

/** Rank of a severity (warn = 0 ... terminal = 4). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** What a detector, validator or gate says. */
export interface Verdict {
  /** How bad. */
  severity: Severity;
  /** The check's name. */
  detector: string;
  /** Human detail. */
  detail?: string | null;
  /** `human` pauses for a person instead of climbing a tier. */
  kind?: string | null;
}

/** Why a model response ended. */
export type Finish = "stop" | "tool_calls" | "length";

/** One tool call requested by the model. */
export interface ToolCall {
  /** Tool name. */
  name: string;
  /** Arguments. */
  args: Record<string, unknown>;
}

/** What a provider can do. */
export interface Capabilities {
  /** Native tool calling. */
  native_tools: boolean;
  /** Image input. */
  vision: boolean;
  /** Context window in tokens. */
  max_context: number;
}

/** A neutral chat message (zu's `_messages.py` shape). */
export type Message =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; tool_calls?: ToolCall[]; content?: string | null }
  | { role: "tool"; name: string; content: string };

/** What the loop sends a model. */
export interface ModelRequest {
  /** History. */
  messages: Message[];
  /** Tool schemas `{name, description, parameters}`. */
  tools: Record<string, unknown>[];
  /** Sampling params. */
  params: Record<string, unknown>;
}

/** What a model answers. */
export interface ModelResponse {
  /** Text, or null. */
  text: string | null;
  /** Tool calls, possibly empty. */
  tool_calls: ToolCall[];
  /** Why it stopped. */
  finish: Finish;
  /** Token usage (`input_tokens`, `output_tokens`, `total_tokens`, ...). */
  usage: Record<string, unknown>;
}

/** Capability tokens a tool may declare. */
export const CAP_NET = "net";
/** Runs a sandbox. */
export const CAP_SANDBOX = "sandbox";
/** Reads files. */
export const CAP_FS_READ = "fs:read";
/** Writes files. */
export const CAP_FS_WRITE = "fs:write";
/** Spawns processes. */
export const CAP_SUBPROCESS = "subprocess";
/** Egress to anywhere. */
export const EGRESS_OPEN = "*";
