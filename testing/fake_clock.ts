/**
 * A manual clock for tests and replays: time moves only when told to.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
 * clock.advance(1500);
 * console.assert(clock.now().toISOString() === "2026-01-01T00:00:01.500Z");
 * ```
 * @module
 */
import type { Clock } from "../core/types.ts";

/** A {@link Clock} that starts at a given instant and advances by hand. */
export class FakeClock implements Clock {
  #ms: number;
  #mono = 0;

  /** Starts at `start` (default 2026-01-01T00:00:00Z). */
  constructor(start: Date = new Date(Date.UTC(2026, 0, 1))) {
    this.#ms = start.getTime();
  }

  /** The current fake wall-clock time. */
  now(): Date {
    return new Date(this.#ms);
  }

  /** The current fake monotonic milliseconds. */
  monotonic(): number {
    return this.#mono;
  }

  /** Moves both clocks forward by `ms`; throws `RangeError` for a negative step. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot advance the clock by "${ms}" ms: must be >= 0`);
    this.#ms += ms;
    this.#mono += ms;
  }

  /** A sleep seam that advances the clock instead of waiting. */
  sleep = (ms: number): Promise<void> => {
    this.advance(ms);
    return Promise.resolve();
  };
}
