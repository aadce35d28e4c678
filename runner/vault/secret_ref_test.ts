import { equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { formatSecretRef, parseSecretRef, resolveSecretRef, type SecretRef } from "./secret_ref.ts";

const CANARY = `zu-canary-${crypto.randomUUID()}`;

/** Expects a one-line secret_unresolved error without the canary; returns its message. */
async function failsWithout(ref: SecretRef, options: Parameters<typeof resolveSecretRef>[1] = {}) {
  let message = "";
  await rejects(resolveSecretRef(ref, options), (e: unknown) => {
    ok(e instanceof UserError);
    equal(e.code, "secret_unresolved");
    message = e.message;
    return true;
  });
  ok(!message.includes(CANARY), message);
  ok(!message.includes("\n"), message);
  return message;
}

Deno.test("parseSecretRef reads env, file with a pattern and cmd, and formats them back", () => {
  for (
    const text of [
      "env:GH_TOKEN",
      "file:~/.netrc",
      "file:/x/y#token=(\\w+)",
      'cmd:["pass","show","gh"]',
    ]
  ) {
    equal(formatSecretRef(parseSecretRef(text)), text);
  }
  const f = parseSecretRef("file:a#b(c)#d");
  ok(f.kind === "file" && f.path === "a" && f.pattern === "b(c)#d");
});

Deno.test("parseSecretRef refuses malformed references with one line each", () => {
  const cases: [string, RegExp][] = [
    ["env:", /env: needs a variable name/],
    ["env:A-B", /env: needs a variable name/],
    ["file:", /file: needs a path/],
    ["file:x#(a)(b)", /exactly one capture group .* it has 2/],
    ["file:x#abc", /exactly one capture group .* it has 0/],
    ["file:x#(", /not valid/],
    ["cmd:pass show", /JSON array/],
    ["cmd:[]", /non-empty JSON array/],
    ['cmd:["a",1]', /non-empty JSON array/],
  ];
  for (const [text, re] of cases) {
    throws(() => parseSecretRef(text), (e: unknown) => {
      ok(e instanceof UserError && e.code === "config_invalid", String(e));
      ok(re.test(e.message), e.message);
      ok(e.message.startsWith(`Cannot use secret reference "${text}": `), e.message);
      return true;
    });
  }
});

Deno.test("parseSecretRef never echoes text that is not a reference (it may be a value)", () => {
  throws(() => parseSecretRef(CANARY), (e: unknown) => {
    ok(e instanceof UserError && e.code === "config_invalid");
    equal(
      e.message,
      "Cannot use secret reference: a reference must start with env:, file: or cmd: (the text given is not shown in case it is a value)",
    );
    return true;
  });
});

Deno.test("env: resolves the variable; unset and empty are clear errors", async () => {
  const env = (n: string) => ({ SET: CANARY, EMPTY: "" } as Record<string, string>)[n];
  equal(await resolveSecretRef(parseSecretRef("env:SET"), { env }), CANARY);
  equal(
    await failsWithout(parseSecretRef("env:NOPE"), { env }),
    'Cannot resolve secret reference "env:NOPE": the environment variable NOPE is not set',
  );
  ok((await failsWithout(parseSecretRef("env:EMPTY"), { env })).endsWith("is empty"));
});

Deno.test("file: reads the trimmed file, or the capture group of a pattern, never echoing content", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = join(dir, "token");
    await Deno.writeTextFile(whole, `  ${CANARY}\n`);
    equal(await resolveSecretRef(parseSecretRef(`file:${whole}`)), CANARY);
    const netrc = join(dir, "netrc");
    await Deno.writeTextFile(netrc, `machine api.test\n  login me\n  password ${CANARY}\n`);
    equal(await resolveSecretRef(parseSecretRef(`file:${netrc}#password\\s+(\\S+)`)), CANARY);
    // relative to cwd, and ~ from HOME
    equal(await resolveSecretRef(parseSecretRef("file:token"), { cwd: dir }), CANARY);
    equal(
      await resolveSecretRef(parseSecretRef("file:~/token"), {
        env: (n) => n === "HOME" ? dir : undefined,
      }),
      CANARY,
    );
    const noMatch = await failsWithout(parseSecretRef(`file:${netrc}#token=(\\w+)`));
    ok(noMatch.endsWith("the regular expression does not match the file"), noMatch);
    const missing = await failsWithout(parseSecretRef(`file:${join(dir, "absent")}`));
    ok(missing.endsWith("the file does not exist"), missing);
    const isDir = await failsWithout(parseSecretRef(`file:${dir}`));
    ok(/directory|cannot be read/.test(isDir), isDir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cmd: runs the argv without a shell and trims stdout", async () => {
  const ref = parseSecretRef(
    `cmd:${JSON.stringify([Deno.execPath(), "eval", `console.log("  ${CANARY}  ")`])}`,
  );
  equal(await resolveSecretRef(ref), CANARY);
  // no shell: a metacharacter is an ordinary argument
  const echo = parseSecretRef(`cmd:${JSON.stringify(["echo", "$HOME;x"])}`);
  equal(await resolveSecretRef(echo), "$HOME;x");
});

Deno.test("cmd: a non-zero exit, a missing program and empty output are errors without the output", async () => {
  const code = Deno.execPath();
  const failing = parseSecretRef(
    `cmd:${
      JSON.stringify([
        code,
        "eval",
        `console.log("${CANARY}"); console.error("${CANARY}"); Deno.exit(3)`,
      ])
    }`,
  );
  const m = await failsWithout(failing);
  ok(m.endsWith("the command exited with code 3"), m);
  ok(m.includes(`cmd:${JSON.stringify([code])}`), "only the program is shown");
  const missing = await failsWithout(parseSecretRef('cmd:["zu-no-such-program-x"]'));
  ok(missing.endsWith("the program is not found"), missing);
  const empty = await failsWithout(parseSecretRef(`cmd:${JSON.stringify([code, "eval", ""])}`));
  ok(empty.endsWith("the command's output is empty"), empty);
});

Deno.test("cmd: a command over its time limit is killed and reported", async () => {
  const slow = parseSecretRef(
    `cmd:${
      JSON.stringify([
        Deno.execPath(),
        "eval",
        `console.log("${CANARY}"); setTimeout(() => {}, 60000)`,
      ])
    }`,
  );
  const started = performance.now();
  const m = await failsWithout(slow, { timeoutMs: 700 });
  ok(m.endsWith("did not finish within 0.7 s (killed)"), m);
  ok(performance.now() - started < 10_000);
});
