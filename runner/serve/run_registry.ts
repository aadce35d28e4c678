/**
 * The runs a server started: each gets an id, a status, its events in order (numbered from 1,
 * the SSE `id:`), its own bounded fan-out for live readers, and an abort controller. Every
 * event of every run also goes to one global fan-out (`GET /v1/events`). How a run is actually
 * run is the caller's {@link RunLauncher} (the CLI passes `zu run`'s jailed live run).
 *
 * @example
 * ```ts
 * import { RunRegistry } from "./run_registry.ts";
 * const runs = new RunRegistry(async () => ({
 *   run: async () => ({ status: "success", result: null }),
 * }));
 * const rec = await runs.start({ agent: "x" });
 * await rec.done;
 * console.assert(runs.get(rec.id)?.status === "completed");
 * await runs.close();
 * ```
 * @module
 */
import type { Event } from "../../core/events.ts";
import { ZuError } from "../../core/errors.ts";
import { Fanout } from "./fanout.ts";

/** What a client asks to run. */
export interface RunLaunchRequest {
  /** Agent directory or agent file (as `zu run` takes it). */
  agent: string;
  /** The task's query instead of the agent's (when the launcher supports it). */
  task?: string;
}

/** What a started run is given. */
export interface RunLaunchContext {
  /** Aborted when the run is cancelled (client gone, DELETE, server stopping). */
  signal: AbortSignal;
  /** Called for each event after it was stored in the run's log. */
  onEvent(event: Event): void;
}

/** A finished run's answer. */
export interface RunLaunchResult {
  /** The result status (`success`, `failed`, ...). */
  status: string;
  /** The agent's result, JSON. */
  result: unknown;
  /** The event log the run appended to, when it keeps a file. */
  db?: string | null;
}

/** A checked run, ready to start. */
export interface PreparedRun {
  /** Runs it. Throwing `Interrupted` marks the run interrupted; other errors failed. */
  run(ctx: RunLaunchContext): Promise<RunLaunchResult>;
}

/**
 * Checks a request (agent found and valid) and prepares its run; a `UserError` thrown here is
 * answered 400 and no run is created.
 */
export type RunLauncher = (request: RunLaunchRequest) => Promise<PreparedRun>;

/** A run's lifecycle state. */
export type RunStatus = "running" | "completed" | "failed" | "interrupted";

/** One numbered event of a run. */
export interface RunEvent {
  /** The run. */
  run_id: string;
  /** 1-based position in the run. */
  seq: number;
  /** The stored event. */
  event: Event;
}

/** A run as the server keeps it. */
export interface RunRecord {
  /** Server-issued id. */
  readonly id: string;
  /** The request. */
  readonly request: RunLaunchRequest;
  /** State. */
  status: RunStatus;
  /** ISO start time. */
  readonly started_at: string;
  /** ISO end time. */
  ended_at: string | null;
  /** Events kept (the newest `maxEventsPerRun`). */
  readonly events: RunEvent[];
  /** Events seen in total. */
  eventCount: number;
  /** The launcher's answer once completed. */
  result: RunLaunchResult | null;
  /** Why it failed or was interrupted. */
  error: { code: string; message: string } | null;
  /** Live readers of this run. */
  readonly fanout: Fanout<RunEvent>;
  /** Cancels the run. */
  readonly abort: AbortController;
  /** Settles when the run ended (never rejects). */
  readonly done: Promise<void>;
}

/** Limits of a {@link RunRegistry}. */
export interface RunRegistryOptions {
  /** Runs at once; more are refused (429). Default 4. */
  maxConcurrentRuns?: number;
  /** Finished runs remembered; the oldest are forgotten. Default 100. */
  maxRuns?: number;
  /** Events kept per run for replay and `Last-Event-ID`. Default 10000. */
  maxEventsPerRun?: number;
  /** Run ids (tests). Default random UUIDs. */
  newId?: () => string;
}

/** Thrown by {@link RunRegistry.start} when too many runs are going (or the server is stopping). */
export class TooManyRuns extends Error {
  /** Creates the error; `limit` 0 means the registry is closed. */
  constructor(limit: number) {
    super(
      limit === 0
        ? "Cannot start a run: the server is stopping"
        : `Cannot start a run: ${limit} runs are already going`,
    );
    this.name = "TooManyRuns";
  }
}

/** The runs of one server. */
export class RunRegistry {
  #launcher: RunLauncher;
  #runs = new Map<string, RunRecord>();
  #global = new Fanout<RunEvent>();
  #maxConcurrent: number;
  #maxRuns: number;
  #maxEvents: number;
  #newId: () => string;
  #closed = false;

  /** A registry running requests through `launcher`. */
  constructor(launcher: RunLauncher, options: RunRegistryOptions = {}) {
    this.#launcher = launcher;
    this.#maxConcurrent = options.maxConcurrentRuns ?? 4;
    this.#maxRuns = options.maxRuns ?? 100;
    this.#maxEvents = options.maxEventsPerRun ?? 10_000;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** Every event of every run, live (`GET /v1/events`). */
  get global(): Fanout<RunEvent> {
    return this.#global;
  }

  /** The run `id`, if remembered. */
  get(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  /** Remembered runs, oldest first. */
  list(): RunRecord[] {
    return [...this.#runs.values()];
  }

  /** Runs going now. */
  running(): number {
    return this.list().filter((r) => r.status === "running").length;
  }

  /** Checks and starts `request`; the launcher's `UserError` propagates (no run created). */
  async start(request: RunLaunchRequest): Promise<RunRecord> {
    if (this.#closed) throw new TooManyRuns(0);
    if (this.running() >= this.#maxConcurrent) throw new TooManyRuns(this.#maxConcurrent);
    const prepared = await this.#launcher(request);
    if (this.#closed) throw new TooManyRuns(0);
    if (this.running() >= this.#maxConcurrent) throw new TooManyRuns(this.#maxConcurrent);
    const abort = new AbortController();
    let settle = (): void => {};
    const rec: RunRecord = {
      id: this.#newId(),
      request,
      status: "running",
      started_at: new Date().toISOString(),
      ended_at: null,
      events: [],
      eventCount: 0,
      result: null,
      error: null,
      fanout: new Fanout<RunEvent>(),
      abort,
      done: new Promise<void>((resolve) => (settle = resolve)),
    };
    this.#runs.set(rec.id, rec);
    this.#forgetOld();
    const onEvent = (event: Event): void => {
      const item: RunEvent = { run_id: rec.id, seq: ++rec.eventCount, event };
      rec.events.push(item);
      if (rec.events.length > this.#maxEvents) rec.events.shift();
      rec.fanout.publish(item);
      this.#global.publish(item);
    };
    (async () => {
      try {
        rec.result = await prepared.run({ signal: abort.signal, onEvent });
        rec.status = "completed";
      } catch (err) {
        const code = err instanceof ZuError ? err.code : "bug";
        rec.status = code === "interrupted" || abort.signal.aborted ? "interrupted" : "failed";
        const message = err instanceof Error ? err.message : String(err);
        rec.error = { code, message: message.split("\n")[0]!.slice(0, 500) };
      } finally {
        rec.ended_at = new Date().toISOString();
        rec.fanout.close();
        settle();
      }
    })();
    return rec;
  }

  #forgetOld(): void {
    for (const rec of this.#runs.values()) {
      if (this.#runs.size <= this.#maxRuns) return;
      if (rec.status !== "running") this.#runs.delete(rec.id);
    }
  }

  /** Aborts every run, waits for them to end, and ends every stream. */
  async close(): Promise<void> {
    this.#closed = true;
    const runs = this.list();
    for (const r of runs) r.abort.abort();
    await Promise.all(runs.map((r) => r.done));
    this.#global.close();
  }
}
