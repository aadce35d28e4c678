/**
 * Test-only helpers to reach the compatibility vectors. By default they live in
 * `../shared/compat/` (the repo is checked out at `<x>/main` with the vectors at `<x>/shared`);
 * the environment variable `ZU_COMPAT_DIR` points every compat test at another vector set with
 * the same layout (an absolute path, or one relative to the working directory).
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The environment variable that overrides where the compat vectors are read from. */
export const COMPAT_DIR_ENV = "ZU_COMPAT_DIR";

/** The URL of the compat folder (with a trailing slash): `ZU_COMPAT_DIR`, else `../shared/compat/`. */
export function compatRoot(): URL {
  let override: string | undefined;
  try {
    override = Deno.env.get(COMPAT_DIR_ENV);
  } catch {
    override = undefined; // no --allow-env: the default location
  }
  if (override) {
    const url = pathToFileURL(resolve(override));
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    return url;
  }
  return new URL("../../shared/compat/", import.meta.url);
}

/** The URL of a file under the compat folder. */
export function compatUrl(path: string): URL {
  return new URL(path, compatRoot());
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
