import { equal, match, ok } from "node:assert/strict";
import {
  BUG_CODES,
  ContainmentRequired,
  DecryptError,
  ERROR_CODES,
  type ErrorCode,
  Interrupted,
  ProviderAuthError,
  ProviderError,
  ProviderRateLimited,
  ProviderTimeout,
  ProviderUnavailable,
  RUN_FAILURE_CODES,
  RunFailure,
  SecurityBlock,
  USER_ERROR_CODES,
  UserError,
  ZuError,
} from "../core/errors.ts";
import { ImagePolicyError } from "../backends/docker/image_policy.ts";
import type { CommandDef } from "./_command.ts";
import { captureIo } from "./_io.ts";
import { KEY_HINT } from "./_report_error.ts";
import { runCli } from "./main.ts";

/** The error each code is thrown as, built through the class its kind names. */
function errorFor(code: ErrorCode, message: string): ZuError {
  if (code === "interrupted") return new Interrupted(message);
  if ((USER_ERROR_CODES as readonly string[]).includes(code)) {
    return new UserError(code as typeof USER_ERROR_CODES[number], message);
  }
  if ((RUN_FAILURE_CODES as readonly string[]).includes(code)) {
    return new RunFailure(code as typeof RUN_FAILURE_CODES[number], message);
  }
  return new ZuError(code as typeof BUG_CODES[number], message);
}

/** A command tree whose one command throws `err`: main's catch path, end to end. */
function throwing(err: unknown): CommandDef {
  return {
    name: "zu",
    summary: "test",
    subcommands: [{ name: "fail", summary: "throws", run: () => Promise.reject(err) }],
  };
}

async function exitOf(err: unknown): Promise<{ code: number; stderr: string }> {
  const io = captureIo();
  const code = await runCli(throwing(err), ["fail"], io);
  equal(io.stdoutText(), "");
  return { code, stderr: io.stderrText() };
}

Deno.test("every error code exits as its kind: user 2, run failure 1, bug 1 with a stack", async () => {
  ok(ERROR_CODES.length > 30, "the union lists every code");
  for (const code of ERROR_CODES) {
    const message = `Cannot do "${code}":\nbecause of a test`;
    const { code: exit, stderr } = await exitOf(errorFor(code, message));
    if (code === "interrupted") {
      equal(exit, 130, code);
      equal(stderr, "zu: interrupted\n");
    } else if ((USER_ERROR_CODES as readonly string[]).includes(code)) {
      equal(exit, 2, code);
      equal(stderr, `error: Cannot do "${code}": because of a test\n`, code);
    } else if ((RUN_FAILURE_CODES as readonly string[]).includes(code)) {
      equal(exit, 1, code);
      equal(stderr, `error: Cannot do "${code}": because of a test\n`, code);
    } else {
      ok((BUG_CODES as readonly string[]).includes(code), code);
      equal(exit, 1, code);
      match(stderr, /^zu: internal error \(a bug, please report it\):\nZuError: Cannot do/, code);
      match(stderr, /\n\s+at /, `${code} prints its stack`);
    }
  }
});

Deno.test("each code belongs to exactly one kind", () => {
  const kinds = [USER_ERROR_CODES, RUN_FAILURE_CODES, BUG_CODES] as readonly (readonly string[])[];
  for (const code of ERROR_CODES) {
    equal(kinds.filter((k) => k.includes(code)).length, 1, code);
  }
  equal(ERROR_CODES.length, new Set(ERROR_CODES).size, "no code twice");
  equal(ERROR_CODES.length, kinds.reduce((n, k) => n + k.length, 0));
  ok(Object.isFrozen(ERROR_CODES) && kinds.every((k) => Object.isFrozen(k)));
});

Deno.test("the subclasses exit as the kind of their class", async () => {
  const cases: [unknown, number][] = [
    [new DecryptError("Cannot decode body: the tag does not match"), 2],
    [new DecryptError("Cannot decode body: codec 9", { code: "codec_unknown" }), 2],
    [new ContainmentRequired(["shell"]), 2],
    [new ProviderAuthError("Cannot complete: the API refused the key (401)"), 2],
    [new ImagePolicyError("x", 'Cannot start sandbox: image "x" is not allowed'), 2],
    [new ProviderError("Cannot complete: HTTP 400"), 1],
    [new ProviderRateLimited("Cannot complete: rate limited"), 1],
    [new ProviderTimeout("Cannot complete: no answer"), 1],
    [new ProviderUnavailable("Cannot complete: unreachable"), 1],
    [new SecurityBlock("Cannot fetch: blocked", { kind: "ssrf" }), 1],
    [new Interrupted(), 130],
  ];
  for (const [err, want] of cases) {
    const { code, stderr } = await exitOf(err);
    equal(code, want, String(err));
    if (want !== 130) {
      ok(stderr.startsWith("error: "), stderr);
      equal(stderr.split("\n").length, 2, `one line: ${stderr}`);
    }
  }
});

Deno.test("a decrypt error names where the keys come from", async () => {
  const { stderr } = await exitOf(new DecryptError("Cannot decode body: the tag does not match"));
  equal(stderr, `error: Cannot decode body: the tag does not match${KEY_HINT}\n`);
});

Deno.test("a built-in error or a thrown string is a bug with its stack", async () => {
  const bug = await exitOf(new TypeError("boom"));
  equal(bug.code, 1);
  match(bug.stderr, /internal error \(a bug, please report it\):\nTypeError: boom\n\s+at /);
  const text = await exitOf("a string");
  equal(text.code, 1);
  match(text.stderr, /internal error.*\na string\n$/s);
});

Deno.test("the CLI does not decide by code: a user code thrown as a plain ZuError is a bug", async () => {
  // Only the class counts; a code of the user's kind on the wrong class is not trusted.
  const { code, stderr } = await exitOf(new ZuError("docker_unavailable", "Cannot start: down"));
  equal(code, 1);
  match(stderr, /internal error/);
});

Deno.test("a URL in any error the CLI prints has its password masked, a bug's stack included", async () => {
  const url = "postgres://zu:hunter2@db.internal:5432/zu";
  for (
    const err of [new UserError("config_invalid", `Cannot open ${url}`), new Error(`boom ${url}`)]
  ) {
    const { stderr } = await exitOf(err);
    ok(!stderr.includes("hunter2"), stderr);
    match(stderr, /postgres:\/\/zu:\*\*\*@db\.internal:5432\/zu/);
  }
});
