/**
 * What every finished run reports, whatever way it ran (in-process, jailed, contained): the
 * shape `recordRun` books and each mode's result extends.
 *
 * @module
 */
import type { Result } from "../core/contracts.ts";
import type { Event } from "../core/events.ts";
import type { SandboxRunCost } from "./sandbox_meter_book.ts";

/** The ways of running an agent. */
export type RunMode = "in-process" | "jailed" | "contained";

/** What every finished run reports, whatever its mode. */
export interface AgentRun {
  /** The mode it ran in. */
  mode: RunMode;
  /** The run's result. */
  result: Result;
  /** The stored events, in order. */
  events: Event[];
  /** The task's query. */
  task: string;
  /** The task id. */
  taskId: string;
  /** The model id, or null (scripted). */
  model: string | null;
  /** A recorded `track.json` was replayed. */
  replayedTrack: boolean;
  /** What the run's sandboxes cost (metered at teardown), or null/absent without a price table. */
  sandbox?: SandboxRunCost | null;
}
