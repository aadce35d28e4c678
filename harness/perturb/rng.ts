/**
 * A small deterministic PRNG (mulberry32) and seed derivation, so every perturbation is a pure
 * function of `(bundle, seed)`.
 *
 * @module
 */

/** A seeded random source. */
export interface Rng {
  /** The seed it was made from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A random element (undefined for an empty list). */
  pick<T>(items: readonly T[]): T | undefined;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** `n` lowercase hex characters. */
  hex(n: number): string;
}

/** mulberry32 over a 32-bit seed. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed: seed >>> 0,
    next,
    int,
    pick: <T>(items: readonly T[]): T | undefined =>
      items.length === 0 ? undefined : items[int(items.length)],
    shuffle: <T>(items: readonly T[]): T[] => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
    hex: (n: number): string => {
      let s = "";
      while (s.length < n) s += int(16).toString(16);
      return s;
    },
  };
}

/** A 32-bit seed from a base seed and a name (FNV-1a), so variants get independent streams. */
export function deriveSeed(base: number, name: string): number {
  let h = (0x811c9dc5 ^ (base >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
