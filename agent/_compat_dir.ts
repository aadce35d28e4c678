/**
 * Locates the shared compat vectors from a test file (the repo is checked out at `<x>/main`
 * with `shared/` at `<x>/shared`).
 *
 * @module
 */

/** URL of `shared/compat/<sub>` relative to this repository. */
export function compatUrl(sub: string): URL {
  return new URL(`../../shared/compat/${sub}`, import.meta.url);
}

/** Sub-directories of `shared/compat/loop` that hold a scenario, sorted. */
export function loopScenarioDirs(): URL[] {
  const base = compatUrl("loop/");
  const out: URL[] = [];
  try {
    for (const e of Deno.readDirSync(base)) {
      if (!e.isDirectory) continue;
      const dir = new URL(`${e.name}/`, base);
      try {
        Deno.statSync(new URL("scenario.json", dir));
        out.push(dir);
      } catch {
        // not a scenario
      }
    }
  } catch {
    return [];
  }
  return out.sort((a, b) => (a.href < b.href ? -1 : 1));
}
