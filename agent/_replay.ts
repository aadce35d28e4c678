/**
 * Track replay (zu's track navigator): each recorded step is climbed to its tier, waited for,
 * invoked through the normal pipeline and checked for divergence. A challenge (an error or block,
 * a hard action error, an HTTP status of 400 or more) hands control to the model at once; three
 * soft misses in a row count as divergence too.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { TASK_ESCALATED, TURN_STARTED } from "../core/events.ts";
import type { Invocation } from "./_invoke.ts";
import { invoke } from "./_invoke.ts";
import type { Sleep } from "../core/types.ts";
import type { Run } from "./_run.ts";
import type { Track } from "./track.ts";

/** Offline replay never waits longer than this per step. */
export const OFFLINE_WAIT_CAP_MS = 3000;
/** Live replay waits (gap plus jitter) are capped here. */
export const LIVE_WAIT_CAP_MS = 8000;
/** Consecutive soft misses that count as divergence. */
export const SOFT_MISS_LIMIT = 3;

/** Options of {@link replayTrack}. */
export interface ReplayOptions {
  /** Sleep seam. */
  sleep: Sleep;
  /** Median of the log-normal jitter (live); 0 means offline. */
  jitterMedianMs: number;
  /** Shapes an observation into the tool message content. */
  shape: (inv: Invocation) => Promise<string>;
}

/** How a replay ended. */
export interface ReplayOutcome {
  /** Every step ran without divergence. */
  clean: boolean;
  /** Steps run. */
  steps: number;
}

/** True when an observation challenges the replay (hand off to the model). */
export function isChallenge(obs: Readonly<Record<string, unknown>>): boolean {
  if ("error" in obs || "blocked" in obs) return true;
  if ("action_error" in obs && obs.action_error_kind !== "soft") return true;
  const s = obs.status;
  return typeof s === "number" && Number.isInteger(s) && s >= 400;
}

/** True when an observation is a soft miss. */
export function isSoftMiss(obs: Readonly<Record<string, unknown>>): boolean {
  return obs.action_error_kind === "soft";
}

/** A seeded PRNG (mulberry32) from a string. */
function seeded(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The wait before a step: capped offline, gap plus log-normal jitter live. */
export function replayWaitMs(waitMs: number, jitterMedianMs: number, rand: () => number): number {
  if (jitterMedianMs <= 0) return Math.min(Math.max(0, waitMs), OFFLINE_WAIT_CAP_MS);
  const u1 = Math.max(rand(), 1e-12);
  const u2 = rand();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  const jitter = jitterMedianMs * Math.exp(0.9 * z);
  return Math.min(Math.max(0, waitMs) + jitter, LIVE_WAIT_CAP_MS);
}

/** Replays `track` into `run`. */
export async function replayTrack(
  run: Run,
  track: Track,
  options: ReplayOptions,
): Promise<ReplayOutcome> {
  const rand = seeded(run.traceId);
  let softMisses = 0;
  let n = 0;
  for (const [i, step] of track.steps.entries()) {
    if (run.elapsedMs() > run.wallS * 1000) return { clean: false, steps: n };
    const toolTier = run.tools.get(step.tool)?.tier ?? 1;
    const target = Math.min(Math.max(step.tier, toolTier), run.ceiling);
    if (target > run.tier) {
      const from = run.tier;
      run.tier = target;
      await run.emit(TASK_ESCALATED, {
        reason: "replay",
        from_tier: from,
        to_tier: target,
        replay: true,
      });
    }
    await options.sleep(replayWaitMs(step.wait_ms, options.jitterMedianMs, rand), run.signal);
    const turn = await run.emit(TURN_STARTED, { step: i + 1, replay: true });
    run.turnStart = run.events.length - 1;
    const inv = await invoke(run, turn.event_id, step.tool, step.args);
    n++;
    run.messages.push({
      role: "assistant",
      content: `(replay step ${i + 1})`,
      tool_calls: [{ name: step.tool, args: step.args }],
    });
    run.messages.push({ role: "tool", name: step.tool, content: await options.shape(inv) });
    if (isChallenge(inv.observation)) return { clean: false, steps: n };
    if (isSoftMiss(inv.observation)) {
      softMisses++;
      if (softMisses >= SOFT_MISS_LIMIT) return { clean: false, steps: n };
    } else {
      softMisses = 0;
    }
  }
  return { clean: true, steps: n };
}
