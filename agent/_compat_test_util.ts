/**
 * Locates the shared compat vectors from a test file (`<x>/shared` beside `<x>/main`, or
 * `ZU_COMPAT_DIR` when set; see `core/_test_compat.ts`).
 *
 * @module
 */
import { compatUrl as coreCompatUrl } from "../core/_test_compat.ts";

/** URL of `<compat>/<sub>`. */
export function compatUrl(sub: string): URL {
  return coreCompatUrl(sub);
}

/** Every sub-directory of `<compat>/<group>/`, sorted (each one is a vector: none is skipped). */
function subDirs(group: string): URL[] {
  const base = compatUrl(`${group}/`);
  const out: URL[] = [];
  try {
    for (const e of Deno.readDirSync(base)) {
      if (!e.isDirectory) continue;
      out.push(new URL(`${encodeURIComponent(e.name)}/`, base));
    }
  } catch {
    return [];
  }
  return out.sort((a, b) => (a.href < b.href ? -1 : 1));
}

/** Every scenario directory under `<compat>/loop`, sorted. */
export function loopScenarioDirs(): URL[] {
  return subDirs("loop");
}

/** Every agent directory under `<compat>/harden`, sorted. */
export function hardenAgentUrls(): URL[] {
  return subDirs("harden");
}

/** The last path segment of a directory URL, decoded (`.../loop/s01/` -> `"s01"`). */
export function dirName(dir: URL): string {
  return decodeURIComponent(dir.pathname.split("/").filter(Boolean).pop() ?? "");
}
