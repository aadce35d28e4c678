/**
 * Test helper: paths into the shared compat vectors (`<x>/shared` beside `<x>/main`).
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** Absolute path of `shared/compat/<rel>`. */
export function compatPath(rel: string): string {
  return fromFileUrl(new URL(`../../shared/compat/${rel}`, import.meta.url));
}

/** The agent directories under `shared/compat/harden/` (discovered, sorted). */
export function hardenAgentDirs(): string[] {
  const root = compatPath("harden");
  const out: string[] = [];
  for (const e of Deno.readDirSync(root)) {
    if (!e.isDirectory) continue;
    try {
      Deno.statSync(`${root}/${e.name}/expected.json`);
      out.push(`${root}/${e.name}`);
    } catch {
      // not an agent directory
    }
  }
  return out.sort();
}
