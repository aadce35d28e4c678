/**
 * zu's bookkeeping after a live run, best effort: re-record `<agent>/track.json` on success
 * (unless tracking is off) and append one line to the cost ledger `<agent>/cost.jsonl`.
 *
 * @example
 * ```ts
 * import { recordRun } from "./after_run.ts";
 * const dir = await Deno.makeTempDir();
 * const lines = await recordRun(dir, {
 *   agent: "shop",
 *   events: [],
 *   result: { status: "terminal", value: null, reason: "budget" },
 *   task: "price?",
 *   model: null,
 * });
 * console.assert(lines.length === 0);
 * console.assert((await Deno.readTextFile(`${dir}/cost.jsonl`)).includes('"status":"terminal"'));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import type { Result } from "../core/contracts.ts";
import type { Event } from "../core/events.ts";
import type { SandboxRunCost } from "./sandbox_meter_book.ts";

/** A finished run as the bookkeeping sees it. */
export interface RunRecord {
  /** How the agent is named in the ledger (what the user typed). */
  agent: string;
  /** The run's stored events, in order. */
  events: readonly Event[];
  /** The run's result. */
  result: Result;
  /** The task's query (the track's key). */
  task: string;
  /** The model id, or null. */
  model: string | null;
  /** A recorded track was replayed. Default false. */
  replayedTrack?: boolean;
  /** Re-record `track.json` on success. Default true. */
  track?: boolean;
  /** The ledger line's time. Default now. */
  now?: Date;
  /** What the run's sandboxes cost (`AgentRun.sandbox`), or null/absent for none metered. */
  sandbox?: SandboxRunCost | null;
}

/** One line of `cost.jsonl`. */
export interface CostLedgerLine {
  /** ISO time. */
  at: string;
  /** The agent as named. */
  agent: string;
  /** The run's status. */
  status: string;
  /** A recorded track was replayed. */
  replayed: boolean;
  /** Model calls made. */
  model_calls: number;
  /** Input tokens. */
  input_tokens: number;
  /** Output tokens. */
  output_tokens: number;
  /** Both. */
  total_tokens: number;
  /** Cost in USD, rounded to 1/100 cent, or null when unknown. */
  usd: number | null;
  /** Steps replayed from the track. */
  replay_steps: number;
  /** Model calls the replay saved. */
  model_calls_saved: number;
  /** The model id. */
  model: string | null;
  /**
   * The sandboxes' cost in USD (metered at teardown under the agent's `sandbox_prices`), rounded
   * to 1/10 000 cent, or null when nothing was metered (no price table, no sandbox).
   */
  sandbox_usd: number | null;
  /** The sandboxes' figures (launches, vCPU-s, GiB-s, wall s), or null with `sandbox_usd`. */
  sandbox: SandboxRunCost | null;
}

/**
 * Records a finished run in `agentDir`: `track.json` on success (unless `run.track` is false)
 * and one ledger line in `cost.jsonl`. Never throws; returns the lines to show the user.
 */
export async function recordRun(agentDir: string, run: RunRecord): Promise<string[]> {
  const lines: string[] = [];
  try {
    if ((run.track ?? true) && run.result.status === "success") {
      const { recordTrack } = await import("../agent/track.ts");
      await recordTrack([...run.events], run.task, run.model).save(`${agentDir}/track.json`);
      lines.push(`track:  ${agentDir}/track.json`);
    }
  } catch {
    // best effort, as zu
  }
  try {
    const { summarizeCost } = await import("../agent/cost.ts");
    const c = summarizeCost([...run.events]);
    const line: CostLedgerLine = {
      at: (run.now ?? new Date()).toISOString(),
      agent: run.agent,
      status: run.result.status,
      replayed: run.replayedTrack ?? false,
      model_calls: c.model_calls,
      input_tokens: c.input_tokens,
      output_tokens: c.output_tokens,
      total_tokens: c.input_tokens + c.output_tokens,
      usd: c.usd === null ? null : Math.round(c.usd * 10000) / 10000,
      replay_steps: c.replay_steps,
      model_calls_saved: c.model_calls_saved,
      model: c.model,
      sandbox_usd: run.sandbox ? Math.round(run.sandbox.usd * 1e6) / 1e6 : null,
      sandbox: run.sandbox ?? null,
    };
    await Deno.writeTextFile(`${agentDir}/cost.jsonl`, JSON.stringify(line) + "\n", {
      append: true,
    });
  } catch {
    // best effort, as zu
  }
  return lines;
}
