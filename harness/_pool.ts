/**
 * A small pool of harden workers (`new Worker(new URL(...), {type: "module"})`): each worker
 * assembles the agent once and pulls variants one at a time, so load balances itself.
 *
 * @module
 */
import type { BundleOverlay } from "./bundle.ts";
import type { ModelMode } from "./offline.ts";
import type { VariantVerdict } from "./verdict.ts";

/** What a pool needs to start. */
export interface PoolInit {
  /** Agent file or directory. */
  agentPath: string;
  /** Model mode (not `live`). */
  mode: ModelMode;
  /** The base bundle as JSON text. */
  bundleText: string;
  /** The base bundle's overlay, if any. */
  overlay?: BundleOverlay;
}

/** One job. */
export interface PoolTask {
  /** Perturbation spec. */
  spec: string;
  /** Seed. */
  seed: number;
}

interface Pending {
  resolve: (v: VariantVerdict) => void;
  reject: (e: Error) => void;
}

/** A fixed set of workers. */
export class WorkerPool implements AsyncDisposable {
  #workers: Worker[];
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
  }

  /** Starts `size` workers and waits until each has assembled the agent. */
  static async create(size: number, init: PoolInit, signal?: AbortSignal): Promise<WorkerPool> {
    const workers: Worker[] = [];
    try {
      const ready: Promise<void>[] = [];
      for (let i = 0; i < size; i++) {
        const w = new Worker(new URL("./_harden_worker.ts", import.meta.url), { type: "module" });
        workers.push(w);
        ready.push(
          new Promise<void>((resolve, reject) => {
            w.onmessage = (e: MessageEvent) => {
              const m = e.data as { type: string; message?: string };
              if (m.type === "ready") resolve();
              else reject(new Error(`Cannot start a harden worker: ${m.message ?? m.type}`));
            };
            w.onerror = (e: ErrorEvent) => {
              e.preventDefault();
              reject(new Error(`Cannot start a harden worker: ${e.message}`));
            };
          }),
        );
        w.postMessage({ type: "init", ...init });
      }
      signal?.throwIfAborted();
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    const pool = new WorkerPool(workers);
    for (const w of workers) pool.#listen(w);
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  #listen(w: Worker): void {
    w.onmessage = (e: MessageEvent) => {
      const m = e.data as { results: { id: number; verdict?: VariantVerdict; message?: string }[] };
      for (const r of m.results ?? []) {
        const p = this.#pending.get(r.id);
        if (p === undefined) continue;
        this.#pending.delete(r.id);
        if (r.verdict) p.resolve(r.verdict);
        else p.reject(new Error(r.message ?? "harden worker failed"));
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      for (const p of this.#pending.values()) {
        p.reject(new Error(`harden worker crashed: ${e.message}`));
      }
      this.#pending.clear();
    };
  }

  #send(w: Worker, batch: readonly PoolTask[]): Promise<VariantVerdict>[] {
    const jobs = batch.map((task) => ({ id: this.#nextId++, spec: task.spec, seed: task.seed }));
    const promises = jobs.map((job) =>
      new Promise<VariantVerdict>((resolve, reject) => {
        this.#pending.set(job.id, { resolve, reject });
      })
    );
    w.postMessage({ type: "run", jobs });
    return promises;
  }

  /**
   * Runs every task; results in task order. Workers pull batches of `batchSize` (default 8)
   * until none are left. `onDone` sees each result as it arrives.
   */
  async run(
    tasks: readonly PoolTask[],
    options: {
      onDone?: (index: number, v: VariantVerdict) => void;
      signal?: AbortSignal;
      batchSize?: number;
    } = {},
  ): Promise<VariantVerdict[]> {
    if (this.#closed) throw new TypeError("Cannot run: the worker pool is closed");
    const results = new Array<VariantVerdict>(tasks.length);
    const size = Math.max(1, options.batchSize ?? 16);
    let next = 0;
    const lane = async (w: Worker): Promise<void> => {
      while (next < tasks.length) {
        options.signal?.throwIfAborted();
        const start = next;
        next = Math.min(tasks.length, next + size);
        const promises = this.#send(w, tasks.slice(start, next));
        for (let k = 0; k < promises.length; k++) {
          const v = await promises[k]!;
          results[start + k] = v;
          options.onDone?.(start + k, v);
        }
      }
    };
    // Two batches in flight per worker: the next one is queued while a result travels back.
    await Promise.all(this.#workers.flatMap((w) => [lane(w), lane(w)]));
    return results;
  }

  /** Terminates every worker. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const w of this.#workers) w.terminate();
      for (const p of this.#pending.values()) p.reject(new Error("worker pool closed"));
      this.#pending.clear();
    }
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
