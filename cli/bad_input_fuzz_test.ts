// Bad input never shows a stack trace (issue #11, item 7): agent.yaml documents (random values
// at known keys, random text mutations, alias bombs) and random argv go through `main` and must
// give an exit code of 0, 1 or 2, at most one `error:` line, no stack and no unhandled rejection.
import { AGENT_YAML_KEYS } from "../agent/config.ts";
import { equal, match, ok } from "node:assert/strict";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import type { CommandDef } from "./_command.ts";
import { captureIo } from "./_io.ts";
import { rootCommand } from "./commands.ts";
import { main } from "./main.ts";

const BASE = `provider:
  name: scripted
  script:
    - tool: recall
      args: { key: a }
    - text: '{"answer": "yes"}'
plugins:
  tools: [recall]
  detectors: [empty]
  validators: [schema]
allowed_domains: [shop.example]
budget:
  max_steps: 4
  wall_time_s: 30
task:
  query: say yes
  output_schema: { type: object }
`;

function assertCalm(code: number, stderr: string, what: string): void {
  ok(code === 0 || code === 1 || code === 2, `${what}: exit ${code}\n${stderr}`);
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  ok(errors.length <= 1, `${what}: ${errors.length} error lines\n${stderr}`);
  ok(!stderr.includes("    at "), `${what}: a stack trace\n${stderr}`);
  ok(!stderr.includes("internal error"), `${what}: reported as a bug\n${stderr}`);
}

async function loadText(
  dir: string,
  text: string,
  name = "agent.yaml",
): Promise<{ code: number; stderr: string }> {
  await Deno.writeTextFile(`${dir}/${name}`, text);
  const io = captureIo({ cwd: dir });
  const code = await main(["explain-permissions", name, "--json"], io);
  return { code, stderr: io.stderrText() };
}

const KEYS = [...AGENT_YAML_KEYS];

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, "", "recall", "./x.ts#X", "scripted"),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("v"), { maxKeys: 3 }),
  ),
})).v;

function define(obj: Record<string, unknown>, key: string, v: unknown): void {
  Object.defineProperty(obj, key, {
    value: v,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The base document with the value at a random key path replaced. */
const mutatedDoc = fc.tuple(
  fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
  value,
)
  .map(([path, v]) => {
    const doc = parse(BASE) as Record<string, unknown>;
    let at: Record<string, unknown> = doc;
    for (const key of path.slice(0, -1)) {
      const next = Object.hasOwn(at, key) ? at[key] : undefined;
      if (next === null || typeof next !== "object") define(at, key, {});
      at = Object.getOwnPropertyDescriptor(at, key)!.value as Record<string, unknown>;
    }
    define(at, path[path.length - 1]!, v);
    return stringify(doc);
  });

const YAML_BITS = [
  "&a ",
  "*a",
  "!!str ",
  "!!binary ",
  "!tag ",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  "|",
  ">",
  "\t",
  "%YAML 1.2\n",
  "---\n",
  "...\n",
  "'",
  '"',
  "#",
  "\n",
  "  ",
  "<<: *a\n",
  "? ",
  "\u0000",
  "\uFEFF",
];

/** The base text with a few YAML-significant pieces inserted, or a span removed. */
const mutatedText = fc.array(
  fc.tuple(fc.nat(), fc.constantFrom(...YAML_BITS), fc.boolean(), fc.nat({ max: 8 })),
  { minLength: 1, maxLength: 4 },
).map((edits) => {
  let text = BASE;
  for (const [at, bit, remove, n] of edits) {
    const i = at % (text.length + 1);
    text = remove ? text.slice(0, i) + text.slice(i + n) : text.slice(0, i) + bit + text.slice(i);
  }
  return text;
});

Deno.test("an alias bomb in agent.yaml is refused quickly in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_" });
  try {
    const lines = [`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const started = performance.now();
    const { code, stderr } = await loadText(dir, `${BASE}${lines.join("\n")}\n`);
    ok(performance.now() - started < 5000, "took too long");
    equal(code, 2, stderr);
    match(stderr, /expands more than 100 YAML aliases \(refused as a possible alias bomb\)/);
    assertCalm(code, stderr, "alias bomb");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deeply nested agent.yaml is one line and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_" });
  try {
    for (const text of ["a: " + "[".repeat(5000) + "]".repeat(5000), "- ".repeat(3000) + "x"]) {
      const { code, stderr } = await loadText(dir, text);
      equal(code, 2, stderr);
      assertCalm(code, stderr, text.slice(0, 20));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("random values at agent.yaml keys never show a stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_" });
  try {
    await fc.assert(
      fc.asyncProperty(mutatedDoc, async (text) => {
        const { code, stderr } = await loadText(dir, text);
        assertCalm(code, stderr, text);
      }),
      { numRuns: 150, seed: 1101 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("randomly mutated agent.yaml text never shows a stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_" });
  try {
    await fc.assert(
      fc.asyncProperty(mutatedText, async (text) => {
        const { code, stderr } = await loadText(dir, text);
        assertCalm(code, stderr, JSON.stringify(text));
      }),
      { numRuns: 150, seed: 1102 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("random values in agent.json never show a stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_" });
  try {
    await fc.assert(
      fc.asyncProperty(mutatedDoc, fc.nat(), async (text, cut) => {
        const json = JSON.stringify(parse(text));
        const mangled = cut % 3 === 0 ? json.slice(0, cut % (json.length + 1)) : json;
        const { code, stderr } = await loadText(dir, mangled, "agent.json");
        assertCalm(code, stderr, mangled);
      }),
      { numRuns: 80, seed: 1104 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Commands the argv fuzz may reach. Left out: what talks to Docker or changes shared state
 * (`sandbox`, `doctor`, `build`), what runs long by design (`demo`, `events tail`, `serve`, `mcp`).
 */
const SKIP = new Set(["sandbox", "doctor", "build", "demo", "tail", "serve", "mcp"]);

function paths(def: CommandDef, prefix: string[] = []): [string[], CommandDef][] {
  const out: [string[], CommandDef][] = [];
  for (const sub of def.subcommands ?? []) {
    if (SKIP.has(sub.name)) continue;
    out.push([[...prefix, sub.name], sub]);
    out.push(...paths(sub, [...prefix, sub.name]));
  }
  return out;
}

const COMMANDS = paths(rootCommand());
const FLAGS = [...new Set(COMMANDS.flatMap(([, d]) => Object.keys(d.flags ?? {})))];
const WORDS = [
  "",
  "a",
  "x y",
  "-",
  "--",
  "-V",
  "--version",
  "-h",
  "0",
  "-1",
  "1e999",
  "NaN",
  "a,b",
  "=",
  "é",
  "\u0000",
];

const token = fc.oneof(
  fc.constantFrom(...FLAGS).map((f) => `--${f}`),
  fc.constantFrom(...FLAGS).chain((f) => fc.constantFrom(...WORDS).map((w) => `--${f}=${w}`)),
  fc.constantFrom(...FLAGS).chain((f) =>
    fc.nat({ max: f.length - 1 }).map((i) => `--${f.slice(0, i)}${f.slice(i + 1)}`)
  ),
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 6 }).filter((s) => !s.includes("/") && !s.includes(".")),
);

const argv = fc.tuple(
  fc.oneof(
    fc.constantFrom(...COMMANDS.map(([p]) => p)),
    fc.constantFrom(["rnu"], ["evnets", "list"], ["--jsno"], ["help"], []),
  ),
  fc.array(token, { maxLength: 6 }),
).map(([cmd, rest]) => [...cmd, ...rest]);

Deno.test("random argv never shows a stack trace and exits 0, 1 or 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_fuzz_argv_" });
  try {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const cwd = await Deno.makeTempDir({ dir });
        const io = captureIo({ cwd });
        const code = await main(args, io);
        assertCalm(code, io.stderrText(), JSON.stringify(args));
      }),
      { numRuns: 200, seed: 1103 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
