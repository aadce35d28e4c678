import { deepEqual, ok } from "node:assert/strict";

// Each public subpath is imported in a fresh `deno run` process; Deno's debug log names every
// ES module the process evaluated ("V8 code cache ... for ES module: <specifier>"), so the test
// sees exactly which modules a subpath loads, including node built-ins and npm packages.

const ROOT = new URL("../", import.meta.url);
const CONFIG = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
  exports: Record<string, string>;
};

const DOCKERODE = /\/node_modules\/\.deno\/dockerode@/;
const SQLITE = /^ext:deno_node\/sqlite\.ts$|^node:sqlite$/;
const PLAYWRIGHT = /\/node_modules\/\.deno\/playwright-core@/;
const POSTGRES = /\/node_modules\/\.deno\/postgres@/;

interface Rule {
  subpath: string;
  mustNotLoad: [string, RegExp][];
  mustLoad?: [string, RegExp][];
}

const RULES: Rule[] = [
  {
    subpath: ".",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  { subpath: "./core", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  // the driver registry loads no driver until one is opened
  {
    subpath: "./sinks",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["postgres", POSTGRES]],
  },
  { subpath: "./sinks/memory", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  { subpath: "./sinks/jsonl", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  {
    subpath: "./sinks/sqlite",
    mustNotLoad: [["dockerode", DOCKERODE], ["playwright", PLAYWRIGHT]],
    mustLoad: [["node:sqlite", SQLITE]],
  },
  {
    subpath: "./sinks/postgres",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
    mustLoad: [["postgres", POSTGRES]],
  },
  { subpath: "./backends/docker", mustNotLoad: [["node:sqlite", SQLITE]] },
  {
    subpath: "./runner",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  {
    subpath: "./runner/jail",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  {
    subpath: "./harness",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  { subpath: "./testing", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  { subpath: "./tools", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  {
    subpath: "./checks",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  {
    subpath: "./sinks/encryption",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]],
  },
  {
    subpath: "./backends/egress",
    mustNotLoad: [["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  {
    subpath: "./runner/contained",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  // the server loads nothing heavy: runs come through the caller's launcher
  {
    subpath: "./runner/serve",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  // the vault loads SQLite only when a vault file is opened
  {
    subpath: "./vault",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  { subpath: "./seccomp", mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE]] },
  {
    subpath: "./testing/docker",
    mustNotLoad: [["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
  // `zu --help` must stay light: every adapter is imported only by the command that uses it.
  {
    subpath: "./cli",
    mustNotLoad: [["dockerode", DOCKERODE], ["node:sqlite", SQLITE], ["playwright", PLAYWRIGHT]],
  },
];

const LOADED = /V8 code cache (?:hit |miss )?for ES module: (\S+?),/;

async function loadedBy(file: URL): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "zu_subpath_" });
  try {
    const script = `${dir}/import.ts`;
    await Deno.writeTextFile(script, `await import(${JSON.stringify(file.href)});\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-prompt",
        "-L",
        "debug",
        "--config",
        new URL("deno.json", ROOT).pathname,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const log = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      throw new Error(
        `importing ${file.href} failed:\n${
          log.split("\n").filter((l) => !l.startsWith("DEBUG")).join("\n")
        }`,
      );
    }
    const specs = new Set<string>();
    for (const line of log.split("\n")) {
      const m = LOADED.exec(line);
      if (m?.[1]) specs.add(m[1]);
    }
    return [...specs];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the module-load probe sees node:sqlite and our own modules when they load", async () => {
  const loaded = await loadedBy(new URL("sinks/sqlite/mod.ts", ROOT));
  ok(loaded.some((s) => SQLITE.test(s)), "node:sqlite was not seen");
  ok(loaded.some((s) => s.endsWith("/sinks/sqlite/sqlite_sink.ts")), "sqlite_sink.ts was not seen");
});

Deno.test("every public subpath has a load-boundary rule and every rule a public subpath", () => {
  const ruled = RULES.map((r) => r.subpath).sort();
  const exported = Object.keys(CONFIG.exports).sort();
  deepEqual(ruled, exported);
});

function fileExists(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

for (const rule of RULES) {
  const exported = CONFIG.exports[rule.subpath];
  const target = exported !== undefined && fileExists(new URL(exported, ROOT))
    ? exported
    : undefined;
  const why = exported === undefined
    ? " (not in the exports map yet)"
    : target === undefined
    ? ` (${exported} does not exist yet)`
    : "";
  Deno.test({
    name: `importing "@zu/zu${
      rule.subpath === "." ? "" : rule.subpath.slice(1)
    }" loads no adapter it did not ask for${why}`,
    fn: async () => {
      ok(target !== undefined, `"${rule.subpath}" is not a public subpath${why}`);
      const loaded = await loadedBy(new URL(target!, ROOT));
      ok(
        loaded.some((s) => s.endsWith(target!.slice(1))),
        `the probe did not see ${target} itself; is the debug log format unchanged?`,
      );
      for (const [name, re] of rule.mustNotLoad) {
        const hit = loaded.find((s) => re.test(s));
        ok(hit === undefined, `"${rule.subpath}" loaded ${name} (${hit})`);
      }
      for (const [name, re] of rule.mustLoad ?? []) {
        ok(loaded.some((s) => re.test(s)), `"${rule.subpath}" did not load ${name}`);
      }
    },
  });
}
