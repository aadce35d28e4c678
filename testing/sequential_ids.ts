/**
 * Deterministic uuid4-shaped ids for tests.
 *
 * @example
 * ```ts
 * import { SequentialIds } from "./sequential_ids.ts";
 * const ids = new SequentialIds();
 * console.assert(ids.uuid() === "00000000-0000-4000-8000-000000000001");
 * ```
 * @module
 */
import type { IdSource } from "../core/types.ts";

/** An {@link IdSource} that counts up from 1. */
export class SequentialIds implements IdSource {
  #n = 0;

  /** The next id. */
  uuid(): string {
    this.#n++;
    return `00000000-0000-4000-8000-${this.#n.toString(16).padStart(12, "0")}`;
  }
}
