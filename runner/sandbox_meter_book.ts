/**
 * Meters the sandboxes a run used: {@link meteredBackend} wraps a backend so that each sandbox
 * launched through it (`launch`, `provision`, `restore`) is metered (`meterActual`) once, right
 * before its first `destroy`/`teardown` (after that its counters are gone); the
 * {@link SandboxMeterBook} sums them for the run's `cost.jsonl` line. Every other method (the
 * exec session, snapshots, ...) is the inner backend's own. A backend without a price table meters
 * null: the book then stays empty and the run's line says `sandbox_usd: null`.
 *
 * @example
 * ```ts
 * import { meteredBackend, SandboxMeterBook } from "./sandbox_meter_book.ts";
 * import { FakeSandboxBackend } from "../testing/fake_sandbox_backend.ts";
 * const book = new SandboxMeterBook();
 * const backend = meteredBackend(new FakeSandboxBackend(), book);
 * await backend.destroy(await backend.launch({ image: "x" }));
 * console.assert(book.total() === null); // the fake has no price table
 * ```
 * @module
 */
import { sumSandboxCosts } from "../core/sandbox_prices.ts";
import type { SandboxBackend, SandboxCost, SandboxHandle } from "../core/types.ts";

/** A run's sandbox use and cost, as the ledger writes it. */
export interface SandboxRunCost {
  /** USD, summed over the run's metered sandboxes. */
  usd: number;
  /** Sandboxes metered. */
  launches: number;
  /** vCPU-seconds charged. */
  vcpu_seconds: number;
  /** GiB-seconds charged. */
  gib_seconds: number;
  /** Wall seconds, summed. */
  wall_seconds: number;
  /** Sandboxes whose meter failed (not in the sums). */
  unmetered: number;
}

/** The meters of one run's sandboxes. */
export class SandboxMeterBook {
  #costs: SandboxCost[] = [];
  #failed = 0;

  /** Adds one sandbox's meter. */
  add(cost: SandboxCost): void {
    this.#costs.push(cost);
  }

  /** Counts a sandbox whose meter failed. */
  failed(): void {
    this.#failed++;
  }

  /** Each sandbox's meter, in order. */
  costs(): readonly SandboxCost[] {
    return this.#costs;
  }

  /** The run's totals, or null when nothing was metered (no price table, or no sandbox). */
  total(): SandboxRunCost | null {
    if (this.#costs.length === 0 && this.#failed === 0) return null;
    const t = sumSandboxCosts(this.#costs);
    return {
      usd: t.usd,
      launches: t.launches,
      vcpu_seconds: t.vcpuSeconds,
      gib_seconds: t.gibSeconds,
      wall_seconds: t.wallSeconds,
      unmetered: this.#failed,
    };
  }
}

const LAUNCHERS = new Set(["launch", "provision", "restore"]);
const ENDERS = new Set(["destroy", "teardown"]);

/** `inner`, metering each sandbox it launches into `book` before its first removal. */
export function meteredBackend<T extends SandboxBackend>(inner: T, book: SandboxMeterBook): T {
  const pending = new Set<string>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (typeof prop === "string" && LAUNCHERS.has(prop)) {
        return async (...args: unknown[]) => {
          const handle = await value.apply(target, args) as SandboxHandle;
          pending.add(handle.id);
          return handle;
        };
      }
      if (typeof prop === "string" && ENDERS.has(prop)) {
        return async (handle: SandboxHandle, ...rest: unknown[]) => {
          if (pending.delete(handle.id) && target.meterActual) {
            try {
              const cost = await target.meterActual(handle);
              if (cost) book.add(cost);
            } catch {
              book.failed();
            }
          }
          return await value.apply(target, [handle, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
}
