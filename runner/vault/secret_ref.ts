/**
 * Secret references: where a value lives on the host, resolved only when it is needed.
 *
 * - `env:NAME` — the host environment variable `NAME`.
 * - `file:PATH` — the file's text, trimmed; `file:PATH#REGEX` — the one capture group of the
 *   first match of `REGEX` in the file (for `.netrc`, `hosts.yml`, `.env` files). The path ends
 *   at the first `#`; `~/` is the home directory; a relative path is relative to the working
 *   directory.
 * - `cmd:["argv0","arg",...]` — a JSON array run without a shell; its stdout, trimmed, is the
 *   value. It must exit 0 within 10 s (then it is killed).
 *
 * Every failure is a one-line `UserError` (code `secret_unresolved`) that names the reference
 * (for `cmd:` only the program) and never contains a value or a byte of the file or the output.
 *
 * @example
 * ```ts
 * import { formatSecretRef, parseSecretRef, resolveSecretRef } from "./secret_ref.ts";
 * const ref = parseSecretRef("env:MY_TOKEN");
 * console.assert(formatSecretRef(ref) === "env:MY_TOKEN");
 * const value = await resolveSecretRef(ref, { env: (n) => n === "MY_TOKEN" ? "t0k" : undefined });
 * console.assert(value === "t0k");
 * ```
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { EnvReader } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";

/** A parsed reference. */
export type SecretRef =
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "file"; readonly path: string; readonly pattern?: string }
  | { readonly kind: "cmd"; readonly argv: readonly string[] };

/** The reference kinds, as written before the colon. */
export const SECRET_REF_KINDS: readonly string[] = Object.freeze(["env", "file", "cmd"]);

/** How long a `cmd:` reference may run (10 s). */
export const CMD_TIMEOUT_MS = 10_000;
/** The most bytes read from a `file:` or a `cmd:` output (1 MiB). */
export const MAX_REF_BYTES = 1 << 20;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function refused(text: string, why: string): UserError {
  return new UserError("config_invalid", `Cannot use secret reference "${text}": ${why}`);
}

/** True when `text` starts like a reference (`env:`, `file:` or `cmd:`). */
export function looksLikeSecretRef(text: string): boolean {
  return /^(env|file|cmd):/.test(text);
}

/**
 * Parses `env:NAME`, `file:PATH[#REGEX]` or `cmd:[JSON argv]`. Throws `UserError` (code
 * `config_invalid`) naming the mistake.
 */
export function parseSecretRef(text: string): SecretRef {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? "" : text.slice(0, colon);
  const body = colon < 0 ? "" : text.slice(colon + 1);
  if (kind === "env") {
    if (!ENV_NAME.test(body)) {
      throw refused(text, "env: needs a variable name such as env:GITHUB_TOKEN");
    }
    return Object.freeze({ kind, name: body });
  }
  if (kind === "file") {
    const hash = body.indexOf("#");
    const path = hash < 0 ? body : body.slice(0, hash);
    if (path.trim() === "") throw refused(text, "file: needs a path such as file:~/.netrc");
    if (hash < 0) return Object.freeze({ kind, path });
    const pattern = body.slice(hash + 1);
    checkPattern(text, pattern);
    return Object.freeze({ kind, path, pattern });
  }
  if (kind === "cmd") {
    let argv: unknown;
    try {
      argv = JSON.parse(body);
    } catch {
      throw refused(text, 'cmd: needs a JSON array of strings such as cmd:["pass","show","gh"]');
    }
    if (
      !Array.isArray(argv) || argv.length === 0 ||
      !argv.every((a) => typeof a === "string") || argv[0] === ""
    ) {
      throw refused(
        text,
        'cmd: needs a non-empty JSON array of strings such as cmd:["pass","show","gh"]',
      );
    }
    return Object.freeze({ kind, argv: Object.freeze([...argv as string[]]) });
  }
  // Not shown: a value given where a reference was expected must not be echoed.
  throw new UserError(
    "config_invalid",
    "Cannot use secret reference: a reference must start with env:, file: or cmd: (the text given is not shown in case it is a value)",
  );
}

function checkPattern(text: string, pattern: string): void {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw refused(text, `the regular expression is not valid (${(e as Error).message})`);
  }
  // Groups of a pattern = entries of a match of `pattern|` on "" minus the whole match.
  const groups = (new RegExp(`${re.source}|`).exec("")?.length ?? 1) - 1;
  if (groups !== 1) {
    throw refused(
      text,
      `the regular expression must have exactly one capture group (the value), it has ${groups}`,
    );
  }
}

/** The text form of `ref` (what {@link parseSecretRef} reads back). */
export function formatSecretRef(ref: SecretRef): string {
  if (ref.kind === "env") return `env:${ref.name}`;
  if (ref.kind === "file") {
    return `file:${ref.path}${ref.pattern === undefined ? "" : `#${ref.pattern}`}`;
  }
  return `cmd:${JSON.stringify(ref.argv)}`;
}

/** A form of `ref` safe for messages: a `cmd:` shows only its program. */
export function describeSecretRef(ref: SecretRef): string {
  if (ref.kind === "cmd") return `cmd:${JSON.stringify([ref.argv[0]])}`;
  return formatSecretRef(ref);
}

/** Options of {@link resolveSecretRef}. */
export interface ResolveSecretRefOptions {
  /** Environment seam (`env:` and `~`). Default `Deno.env.get`, a denial reading as unset. */
  env?: EnvReader;
  /** Directory relative `file:` paths and `cmd:` run in. Default `Deno.cwd()`. */
  cwd?: string;
  /** `cmd:` time limit in ms. Default {@link CMD_TIMEOUT_MS}. */
  timeoutMs?: number;
}

function unresolved(ref: SecretRef, why: string): UserError {
  return new UserError(
    "secret_unresolved",
    `Cannot resolve secret reference "${describeSecretRef(ref)}": ${why}`,
  );
}

function nonEmpty(ref: SecretRef, value: string, what: string): string {
  if (value === "") throw unresolved(ref, `${what} is empty`);
  return value;
}

/**
 * The current value of `ref`, read now. Throws `UserError` (code `secret_unresolved`) when it
 * cannot be read or is empty; the message never holds the value.
 */
export async function resolveSecretRef(
  ref: SecretRef,
  options: ResolveSecretRefOptions = {},
): Promise<string> {
  const env = options.env ?? safeEnv;
  if (ref.kind === "env") {
    const v = env(ref.name);
    if (v === undefined) throw unresolved(ref, `the environment variable ${ref.name} is not set`);
    return nonEmpty(ref, v, `the environment variable ${ref.name}`);
  }
  if (ref.kind === "file") return await resolveFile(ref, env, options.cwd);
  return await resolveCmd(ref, options);
}

function expandPath(path: string, env: EnvReader, cwd: string | undefined): string {
  if (path === "~" || path.startsWith("~/")) {
    const home = env("HOME");
    if (home) return join(home, path.slice(1));
  }
  return isAbsolute(path) ? path : resolve(cwd ?? Deno.cwd(), path);
}

async function resolveFile(
  ref: Extract<SecretRef, { kind: "file" }>,
  env: EnvReader,
  cwd: string | undefined,
): Promise<string> {
  const path = expandPath(ref.path, env, cwd);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "the file may not be read (permission)"
      : e instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : `the file cannot be read (${(e as Error).name})`;
    throw unresolved(ref, why);
  }
  if (bytes.length > MAX_REF_BYTES) {
    throw unresolved(ref, `the file is over ${MAX_REF_BYTES} bytes`);
  }
  const text = new TextDecoder().decode(bytes);
  if (ref.pattern === undefined) return nonEmpty(ref, text.trim(), "the file");
  const m = new RegExp(ref.pattern, "m").exec(text);
  if (m === null || m[1] === undefined) {
    throw unresolved(ref, "the regular expression does not match the file");
  }
  return nonEmpty(ref, m[1].trim(), "the matched value");
}

interface CappedRead {
  done: Promise<Uint8Array | null>;
  cancel(): void;
}

/** Reads `stream` to its end (null past `limit` bytes); `cancel` stops early. */
function readCapped(stream: ReadableStream<Uint8Array>, limit: number): CappedRead {
  const reader = stream.getReader();
  const done = (async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  })();
  done.catch(() => {});
  return { done, cancel: () => void reader.cancel().catch(() => {}) };
}

async function resolveCmd(
  ref: Extract<SecretRef, { kind: "cmd" }>,
  options: ResolveSecretRefOptions,
): Promise<string> {
  const [program, ...args] = ref.argv as [string, ...string[]];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      cwd: options.cwd ?? Deno.cwd(),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "the program is not found"
      : e instanceof Deno.errors.NotCapable
      ? "zu may not run it (permission)"
      : `the program cannot be started (${(e as Error).name})`;
    throw unresolved(ref, why);
  }
  const timeoutMs = options.timeoutMs ?? CMD_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((ok) => {
    timer = setTimeout(() => ok("timeout"), timeoutMs);
  });
  const output = readCapped(child.stdout, MAX_REF_BYTES);
  try {
    const first = await Promise.race([child.status, timedOut]);
    if (first === "timeout") {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      // A grandchild may still hold the pipe: do not wait for it.
      output.cancel();
      throw unresolved(ref, `the command did not finish within ${timeoutMs / 1000} s (killed)`);
    }
    if (!first.success) {
      output.cancel();
      throw unresolved(
        ref,
        first.signal
          ? `the command was killed by ${first.signal}`
          : `the command exited with code ${first.code}`,
      );
    }
    const bytes = await Promise.race([output.done, timedOut]);
    if (bytes === "timeout") {
      output.cancel();
      throw unresolved(ref, `the command's output did not end within ${timeoutMs / 1000} s`);
    }
    if (bytes === null) throw unresolved(ref, `the command printed over ${MAX_REF_BYTES} bytes`);
    return nonEmpty(ref, new TextDecoder().decode(bytes).trim(), "the command's output");
  } finally {
    clearTimeout(timer);
  }
}
