/**
 * The environment read defensively, for every default env seam.
 *
 * @module
 */

/** Reads one environment variable; a permission denial reads as unset (`undefined`). */
export function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
