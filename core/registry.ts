/**
 * An explicit registry of named plugins. Registering a name twice throws; `names()` feeds the
 * CLI's choices.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry<() => number>("tools");
 * r.register("one", () => 1);
 * console.assert(r.names().join() === "one" && r.get("one")() === 1);
 * ```
 * @module
 */

/** A registry of named values of one kind. */
export class Registry<T> {
  /** The kind (`tools`, `detectors`, `sinks`, ...), used in error messages. */
  readonly kind: string;
  #items = new Map<string, T>();

  /** Creates an empty registry for `kind`. */
  constructor(kind: string) {
    this.kind = kind;
  }

  /** Adds `value` under `name`; throws `TypeError` when the name is taken. */
  register(name: string, value: T): this {
    if (this.#items.has(name)) {
      throw new TypeError(`Cannot register ${this.kind} "${name}": the name is already registered`);
    }
    this.#items.set(name, value);
    return this;
  }

  /** The value under `name`; throws `RangeError` naming the known names when missing. */
  get(name: string): T {
    const v = this.#items.get(name);
    if (v === undefined) {
      throw new RangeError(
        `Unknown ${this.kind} "${name}": known ${this.kind} are ${
          this.names().map((n) => `"${n}"`).join(", ") || "(none)"
        }`,
      );
    }
    return v;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.#items.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#items.keys()].sort();
  }
}
