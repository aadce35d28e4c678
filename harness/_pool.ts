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
      const m = e.data as { type: string; id: number; verdict?: VariantVerdict; message?: string };
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.type === "done" && m.verdict) p.resolve(m.verdict);
      else p.reject(new Error(m.message ?? "harden worker failed"));
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      for (const p of this.#pending.values()) p.reject(new Error(`harden worker crashed: ${e.message}`));
      this.#pending.clear();
    };
  }

  #send(w: Worker, task: PoolTask): Promise<VariantVerdict> {
    const id = this.#nextId++;
    return new Promise<VariantVerdict>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ type: "run", id, spec: task.spec, seed: task.seed });
    });
  }

  /** Runs every task; results in task order. `onDone` sees each as it finishes. */
  async run(
    tasks: readonly PoolTask[],
    options: { onDone?: (index: number, v: VariantVerdict) => void; signal?: AbortSignal } = {},
  ): Promise<VariantVerdict[]> {
    if (this.#closed) throw new TypeError("Cannot run: the worker pool is closed");
    const results = new Array<VariantVerdict>(tasks.length);
    let next = 0;
    const lane = async (w: Worker): Promise<void> => {
      while (next < tasks.length) {
        options.signal?.throwIfAborted();
        const i = next++;
        const v = await this.#send(w, tasks[i]!);
        results[i] = v;
        options.onDone?.(i, v);
      }
    };
    await Promise.all(this.#workers.map(lane));
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
