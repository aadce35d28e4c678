// Pins every table of contents: each `mod.ts` in the tree and each `deno.json` export has its
// runtime names listed in `testdata/exports.json`, so adding, renaming or dropping a public name is
// a deliberate edit of that file. `ZU_UPDATE_EXPORTS=1 deno task test` rewrites it after a change
// that is meant (review the diff).
import { deepEqual, ok } from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("./", import.meta.url));
const PINS = join(ROOT, "testdata", "exports.json");
const SKIP = new Set(["node_modules", ".git", "fixtures", "testdata", ".zu", "cov", "images"]);

function* modFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory && !SKIP.has(entry.name)) yield* modFiles(join(dir, entry.name));
    else if (entry.isFile && entry.name === "mod.ts") yield relative(ROOT, join(dir, entry.name));
  }
}

/** Every module that is a public table of contents: the mod.ts files and the exports map. */
function publicModules(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))) as {
    exports: Record<string, string>;
  };
  const all = new Set<string>([...modFiles(ROOT)]);
  for (const target of Object.values(config.exports)) all.add(target.replace(/^\.\//, ""));
  return [...all].sort();
}

async function namesOf(path: string): Promise<string[]> {
  const mod = await import(pathToFileURL(join(ROOT, path)).href) as Record<string, unknown>;
  return Object.keys(mod).sort();
}

Deno.test("every mod.ts and deno.json export exposes exactly its pinned names", async () => {
  const actual: Record<string, string[]> = {};
  for (const path of publicModules()) actual[path] = await namesOf(path);
  let update = false;
  try {
    update = Deno.env.get("ZU_UPDATE_EXPORTS") === "1";
  } catch {
    update = false;
  }
  if (update) {
    await Deno.mkdir(join(ROOT, "testdata"), { recursive: true });
    await Deno.writeTextFile(PINS, JSON.stringify(actual, null, 2) + "\n");
  }
  const pinned = JSON.parse(await Deno.readTextFile(PINS)) as Record<string, string[]>;
  for (const path of Object.keys(actual)) {
    ok(path in pinned, `${path} is public but not pinned in testdata/exports.json`);
  }
  deepEqual(actual, pinned);
});
