/**
 * What `zu serve` lists at `GET /v1/pending` and sends verdicts to: one {@link PendingSource} per
 * feature that makes something wait for a human (live egress clearances, paused-run approvals).
 * Each feature adds its source here; the server combines them (`combinePendingSources`).
 *
 * @module
 */
import type { PendingSource } from "../core/types.ts";
import type { CommandContext } from "./_command.ts";

/** The pending sources of a `zu serve` started with `ctx` (none yet: nothing is ever pending). */
export function servePendingSources(_ctx: CommandContext): Promise<PendingSource[]> {
  return Promise.resolve([]);
}
