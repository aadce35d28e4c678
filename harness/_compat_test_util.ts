/**
 * Test helper: paths into the shared compat vectors (`<x>/shared` beside `<x>/main`, or
 * `ZU_COMPAT_DIR` when set; see `core/_test_compat.ts`).
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { compatUrl } from "../core/_test_compat.ts";

/** Absolute path of `<compat>/<rel>`. */
export function compatPath(rel: string): string {
  return fromFileUrl(compatUrl(rel)).replace(/\/$/, "");
}

/**
 * Every directory under `<compat>/harden/` (discovered, sorted). Each one is an agent: none is
 * skipped, so a directory missing a file fails the test that reads it.
 */
export function hardenAgentDirs(): string[] {
  const root = compatPath("harden");
  const out: string[] = [];
  for (const e of Deno.readDirSync(root)) {
    if (e.isDirectory) out.push(`${root}/${e.name}`);
  }
  return out.sort();
}
