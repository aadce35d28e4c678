/**
 * What zu's JSON writers (`json.ts`, `canonical_json.ts`) share: the plain-object test and the
 * errors naming the path of a value that cannot be written.
 *
 * @module
 */

/** True for `{}`-literals and `Object.create(null)` objects (not class instances, Maps, Dates). */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The JSONPath-like name of `path` (`$` for the root; null means the root too). */
function where(path: string | null): string {
  return path === "" || path === null ? "$" : `$${path}`;
}

/** `value` at `path` is cyclic. */
export function cyclicError(path: string | null): TypeError {
  return new TypeError(`Cannot write ${where(path)} as JSON: the value is cyclic`);
}

/** The object at `path` is not plain JSON (a class instance, a Map, …). */
export function notPlainError(path: string | null, v: object): TypeError {
  return new TypeError(
    `Cannot write ${where(path)} as JSON: a "${v.constructor?.name ?? "object"}" is not plain JSON`,
  );
}

/** The value at `path` has a type JSON cannot hold (a function, a symbol, `undefined`). */
export function notJsonError(path: string | null, v: unknown): TypeError {
  return new TypeError(`Cannot write ${where(path)} as JSON: a ${typeof v} is not JSON`);
}

/** The number at `path` is not finite. */
export function notFiniteError(path: string | null, v: number): TypeError {
  return new TypeError(
    `Cannot write ${where(path)} as JSON: "${String(v)}" is not a finite number`,
  );
}

/**
 * `make` with its answers kept per key (keys repeat across events). The cache is bounded: past
 * 4096 keys it starts over.
 */
export function keyCache<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      if (cache.size > 4096) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}
