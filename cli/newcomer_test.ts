import { equal, ok } from "node:assert/strict";
import { resolve } from "node:path";

// The newcomer path: a fresh clone in a temporary directory, then exactly the README's two
// commands. The first (the demo) runs as written. The second (the test suite) would run this
// very test again and double CI time, so by default it is replaced by `deno task check`, which
// still proves that the clone holds every file the code needs; ZU_NEWCOMER_FULL=1 runs the
// README's command as written (with ZU_NEWCOMER_INNER=1 so this test skips itself inside).
// ZU_NEWCOMER_FRESH_CACHE=1 also uses an empty DENO_DIR, as on a machine that never ran Deno.

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const INNER = Deno.env.get("ZU_NEWCOMER_INNER") === "1";
// `.ci/run` runs this file on its own beside the suite (ZU_NEWCOMER_BESIDE=1 in the suite's
// environment), so the inner full run does not add its minutes to the suite's.
const BESIDE = Deno.env.get("ZU_NEWCOMER_BESIDE") === "1";
if (BESIDE && !INNER) {
  console.log("newcomer test skipped here: .ci/run runs it beside the suite (see newcomer.log)");
}
const DEFAULT_COMMANDS = ["npx -y deno@2.9.6 task demo", "npx -y deno@2.9.6 task test"];

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return { code: 127, stdout: "", stderr: `${cmd}: not found` };
  }
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** The two quick-start commands of the README (its first fenced block), or the defaults. */
export async function readmeCommands(root: string): Promise<string[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(`${root}/README.md`);
  } catch {
    return DEFAULT_COMMANDS;
  }
  const block = /```(?:sh|bash|shell)?\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  const cmds = block.split("\n").map((l) => l.replace(/^\$\s*/, "").replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("npx ") || l.startsWith("deno "));
  return cmds.length >= 2 ? cmds.slice(0, 2) : DEFAULT_COMMANDS;
}

async function copyTree(from: string, to: string): Promise<void> {
  const skip = new Set(["node_modules", ".zu", "cov", ".git"]);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (skip.has(e.name)) continue;
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) await copyTree(src, dst);
    else if (e.isFile) await Deno.copyFile(src, dst);
  }
}

/** Clones the committed HEAD, or copies the working tree when nothing is committed yet. */
async function freshClone(dest: string): Promise<string> {
  const head = await run("git", ["rev-parse", "--verify", "HEAD"], ROOT);
  if (head.code === 0) {
    const clone = await run("git", ["clone", "--quiet", ROOT, dest], "/");
    equal(clone.code, 0, clone.stderr);
    return `git clone of ${head.stdout.trim().slice(0, 12)}`;
  }
  await copyTree(ROOT, dest);
  return "copy of the working tree (no commit yet)";
}

Deno.test({
  name: "a newcomer's fresh clone runs the README's two commands and the demo writes its outputs",
  ignore: INNER || BESIDE,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "zu_newcomer_" });
    try {
      const main = `${tmp}/main`;
      const how = await freshClone(main);
      // Tests find the compat vectors beside the checkout, as in CI.
      try {
        await Deno.symlink(new URL("../../shared", import.meta.url).pathname, `${tmp}/shared`);
      } catch {
        // no shared/ beside this checkout: tests that need it say so
      }
      const [demoCmd, testCmd] = await readmeCommands(main);
      const env: Record<string, string> = {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? tmp,
        NO_COLOR: "1",
        ZU_NEWCOMER_INNER: "1",
      };
      // A checker's other vector set (ZU_COMPAT_DIR, see docs/compat.md) applies inside too.
      const compatDir = Deno.env.get("ZU_COMPAT_DIR");
      if (compatDir) env.ZU_COMPAT_DIR = resolve(compatDir);
      if (Deno.env.get("ZU_NEWCOMER_FRESH_CACHE") === "1") env.DENO_DIR = `${tmp}/deno_dir`;
      else if (Deno.env.get("DENO_DIR")) env.DENO_DIR = Deno.env.get("DENO_DIR")!;

      const sh = (cmd: string) => run("sh", ["-c", cmd], main, env);
      const demo = await sh(demoCmd!);
      equal(demo.code, 0, `${how}: "${demoCmd}" failed:\n${demo.stdout}\n${demo.stderr}`);
      ok(demo.stdout.includes("Next, try"), demo.stdout);
      ok((await Deno.stat(`${main}/.zu/demo/events.db`)).size > 0, "no event log");
      ok((await Deno.stat(`${main}/.zu/demo/harden-report.html`)).size > 0, "no report");

      const full = Deno.env.get("ZU_NEWCOMER_FULL") === "1";
      const second = full ? testCmd! : testCmd!.replace(/task test\b.*$/, "task check");
      // The outer suite is the machine with Docker up; the newcomer's clone runs the suite as a
      // new user with Docker down would (its Docker tests skip, each with its reason), which
      // also keeps CI from running every container test twice.
      const tests = full
        ? await run("sh", ["-c", second], main, {
          ...env,
          DOCKER_HOST: `unix://${tmp}/no-docker-here.sock`,
          // A child inherits this process's environment: a newcomer has not asked for Docker.
          ZU_REQUIRE_DOCKER: "",
          ZU_REQUIRE_BROWSER: "",
          ZU_REQUIRE_PG: "",
          // Nor has a newcomer PostgreSQL's server binaries: its tests skip with their reason.
          ZU_PG_BIN_DIR: `${tmp}/no-postgres-here`,
          ZU_TEST_PG_URL: "",
        })
        : await sh(second);
      equal(
        tests.code,
        0,
        `${how}: "${second}" failed:\n${tests.stdout.slice(-4000)}\n${tests.stderr.slice(-4000)}`,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
