/**
 * A {@link ClearanceStore} in memory: persisted clearances that last as long as the object
 * (tests, and a desk opened without a database). `sinks/sqlite`'s `SqliteClearanceStore` is the
 * durable one.
 *
 * @example
 * ```ts
 * import { MemoryClearanceStore } from "./memory_clearance_store.ts";
 * const store = new MemoryClearanceStore();
 * await store.save({ host: "a.test", port: 443, action: "deny", scope: "persist", ttl_until: null,
 *   actor: "op", reason: null, created: new Date().toISOString(), run_id: null, request_id: null });
 * console.assert((await store.load()).length === 1);
 * ```
 * @module
 */
import type { ClearanceRule, ClearanceStore } from "../../../core/types.ts";

/** Persisted clearances in memory. */
export class MemoryClearanceStore implements ClearanceStore {
  #rules: ClearanceRule[];

  /** Starts with `rules` (copied). */
  constructor(rules: readonly ClearanceRule[] = []) {
    this.#rules = rules.map((r) => ({ ...r }));
  }

  /** Every stored rule (copies). */
  load(): Promise<ClearanceRule[]> {
    return Promise.resolve(this.#rules.map((r) => ({ ...r })));
  }

  /** Stores a copy of `rule`. */
  save(rule: ClearanceRule): Promise<void> {
    this.#rules.push({ ...rule });
    return Promise.resolve();
  }
}
