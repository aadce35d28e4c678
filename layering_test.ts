// The layers hold themselves (DESIGN.md §3, STYLE.md rule 25): every relative import of every
// production file is read from the source and checked against the allowed directions, and a
// `_name.ts` file may be imported only by files in its own folder.
import { deepEqual, equal, ok } from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("./", import.meta.url));

/** Which top-level folders each layer may import (its own folder is always allowed). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  seccomp: [],
  sinks: ["core"],
  agent: ["core", "seccomp"],
  backends: ["core", "seccomp", "images"],
  harness: ["core", "agent", "sinks", "seccomp"],
  runner: ["core", "agent", "sinks", "harness", "backends", "seccomp", "images"],
  testing: ["core", "agent", "sinks", "harness", "backends", "runner", "seccomp"],
  cli: ["core", "agent", "sinks", "harness", "backends", "runner", "seccomp", "testing"],
};
// `images/` holds in-container programs; their shared action schemas are data for the adapters.
for (const layer of ["agent", "harness", "testing", "cli"]) {
  (ALLOWED[layer] as string[]).push("images");
}

const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  "bench",
  "fixtures",
  "images",
  ".zu",
  "cov",
  "testdata",
  ".ci",
  "docs",
]);

/** Test files and test-only helpers are composition roots, not production code. */
function isTestFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.endsWith("_test.ts") || base.startsWith("_test") || base.includes("_test_util") ||
    base.includes("integration_util");
}

const IMPORT = new RegExp(
  String.raw`(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']` +
    String.raw`|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']`,
  "gms",
);

/** The relative specifiers a source text imports, comments removed first. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/[^\n]*/g, "$1");
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec !== undefined && spec.startsWith(".")) out.push(spec);
  }
  return out;
}

function* productionFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) {
      if (!SKIP_DIRS.has(entry.name)) yield* productionFiles(join(dir, entry.name));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const rel = relative(ROOT, join(dir, entry.name));
      if (rel.includes("/") && !isTestFile(rel)) yield rel;
    }
  }
}

/** Every violation in the tree: upward edges and private files used outside their folder. */
function violations(): { files: number; bad: string[] } {
  const bad: string[] = [];
  let files = 0;
  for (const rel of productionFiles(ROOT)) {
    const layer = rel.split("/")[0]!;
    const allowed = ALLOWED[layer];
    if (allowed === undefined) continue;
    files++;
    const source = Deno.readTextFileSync(join(ROOT, rel));
    for (const spec of importsOf(source)) {
      const target = normalize(join(dirname(rel), spec));
      if (target.startsWith("..") || target === "deno.json") continue;
      const targetLayer = target.includes("/") ? target.split("/")[0]! : "<root>";
      if (targetLayer !== layer && !allowed.includes(targetLayer)) {
        bad.push(`${rel} -> ${target} (${layer} may not import ${targetLayer})`);
      }
      const base = target.slice(target.lastIndexOf("/") + 1);
      if (base.startsWith("_") && dirname(target) !== dirname(rel)) {
        bad.push(`${rel} -> ${target} (private file used outside its folder)`);
      }
    }
  }
  return { files, bad };
}

Deno.test("no production import goes up a layer or reaches into another folder's private file", () => {
  const { files, bad } = violations();
  ok(files > 100, `expected the whole tree, read ${files} files`);
  ok(bad.length === 0, `${bad.length} layering violations:\n${bad.join("\n")}`);
});

Deno.test("the layering check sees imports, re-exports and dynamic imports but not comments", () => {
  const src = [
    `import { a } from "./a.ts";`,
    `export { b } from "../b/b.ts";`,
    `const c = await import("./c.ts");`,
    `import "./d.ts";`,
    `// import { e } from "./e.ts";`,
    `/** import { f } from "./f.ts"; */`,
    `import { g } from "npm:g";`,
  ].join("\n");
  deepEqual(importsOf(src), ["./a.ts", "../b/b.ts", "./c.ts", "./d.ts"]);
  equal(isTestFile("agent/loop_test.ts"), true);
  equal(isTestFile("agent/loop.ts"), false);
});
