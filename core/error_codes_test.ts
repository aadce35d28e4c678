import { equal, ok } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { join, relative } from "node:path";
import {
  BUG_CODES,
  ERROR_CODES,
  errorKindOf,
  errorOfCode,
  Interrupted,
  isErrorCode,
  RUN_FAILURE_CODES,
  RunFailure,
  USER_ERROR_CODES,
  UserError,
  ZuError,
} from "./errors.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const SKIP_DIRS = new Set(["node_modules", ".git", "vendor"]);

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && !SKIP_DIRS.has(entry.name)) yield* sourceFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

/** Every `new <Class>("code"` and `super("code"` in production code, with where it is. */
async function throwSites(): Promise<{ where: string; cls: string; code: string }[]> {
  const sites: { where: string; cls: string; code: string }[] = [];
  // `new X("code"`, `super("code"`, and an error sent over a wire: `name: "ZuError", code: "code"`.
  const pattern =
    /new (ZuError|UserError|RunFailure)\(\s*"([^"]*)"|super\(\s*"([^"]*)"|name: "ZuError",\s*code: "([^"]*)"/g;
  for await (const path of sourceFiles(ROOT)) {
    if (path.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(path);
    for (const m of text.matchAll(pattern)) {
      const line = text.slice(0, m.index).split("\n").length;
      sites.push({
        where: `${relative(ROOT, path)}:${line}`,
        cls: m[1] ?? "super",
        code: m[2] ?? m[3] ?? m[4]!,
      });
    }
  }
  return sites;
}

Deno.test("every code thrown in the source tree is in ERROR_CODES, with the class of its kind", async () => {
  const sites = await throwSites();
  ok(sites.length > 60, `found ${sites.length} throw sites`);
  const listOf: Record<string, readonly string[]> = {
    ZuError: BUG_CODES,
    UserError: USER_ERROR_CODES,
    RunFailure: RUN_FAILURE_CODES,
    super: ERROR_CODES,
  };
  for (const { where, cls, code } of sites) {
    ok(isErrorCode(code), `${where}: "${code}" is not in ERROR_CODES`);
    ok(listOf[cls]!.includes(code), `${where}: "${code}" is thrown as ${cls}, not its kind`);
  }
  const used = new Set(sites.map((s) => s.code));
  for (
    const code of ["docker_unavailable", "image_missing", "dns_failed", "tool_not_offered"]
  ) {
    ok(used.has(code), `"${code}" is thrown somewhere`);
  }
});

Deno.test("a ZuError is built from a variable code only where errors cross a process boundary", async () => {
  const loose = /new (ZuError|UserError|RunFailure)\(\s*[^"\s)]/g;
  const found: string[] = [];
  for await (const path of sourceFiles(ROOT)) {
    if (path.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(path);
    for (const m of text.matchAll(loose)) {
      found.push(`${relative(ROOT, path)}:${text.slice(0, m.index).split("\n").length}`);
    }
  }
  // errorOfCode (core/errors.ts) is the one place; a wire decoder calls it.
  ok(found.every((f) => f.startsWith("core/errors.ts:")), found.join(", "));
});

Deno.test("errorOfCode rebuilds each code with the class of its kind", () => {
  for (const code of ERROR_CODES) {
    const e = errorOfCode(code, `Cannot do "${code}"`);
    ok(e instanceof ZuError, code);
    equal(e.code, code);
    equal(e.message, `Cannot do "${code}"`);
    const kind = errorKindOf(code);
    equal(e instanceof UserError, kind === "user", code);
    equal(e instanceof RunFailure, kind === "run_failure", code);
  }
  ok(errorOfCode("interrupted", "x") instanceof Interrupted);
  equal(errorOfCode("bug", "x"), null);
  equal(errorOfCode(undefined, "x"), null);
  equal(errorOfCode("no_such_code", "x"), null);
});

Deno.test("docs/cli.md lists every error code under its kind", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/cli.md", import.meta.url));
  const user = doc.indexOf("  - user (exit 2)");
  const run = doc.indexOf("  - run failure (exit 1");
  const bug = doc.indexOf("  - bug (exit 1");
  ok(user >= 0 && run > user && bug > run, "the three lists are there, in order");
  const sections = [
    [USER_ERROR_CODES, doc.slice(user, run)],
    [RUN_FAILURE_CODES, doc.slice(run, bug)],
    [BUG_CODES, doc.slice(bug, doc.indexOf(".\n", bug))],
  ] as const;
  for (const [codes, text] of sections) {
    for (const code of codes) ok(text.includes(`\`${code}\``), `docs/cli.md lists "${code}"`);
  }
});
