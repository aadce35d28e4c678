/**
 * Test-only helpers to reach the compatibility vectors in `../shared/compat/` (the repo is checked
 * out at `<x>/main` with the vectors at `<x>/shared`).
 *
 * @module
 */

/** The URL of a file under the compat folder. */
export function compatUrl(path: string): URL {
  return new URL(`../../shared/compat/${path}`, import.meta.url);
}

/** Reads a compat text file. */
export function compatText(path: string): string {
  return Deno.readTextFileSync(compatUrl(path));
}

/** Reads a compat JSON file (plain JSON.parse). */
export function compatJson<T = unknown>(path: string): T {
  return JSON.parse(compatText(path)) as T;
}

/** The non-empty lines of a compat JSON-lines file, split on `\n` only. */
export function compatLines(path: string): string[] {
  return compatText(path).split("\n").filter((l) => l !== "");
}

/** Bytes of a hex string. */
export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Hex of bytes. */
export function bytesHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
