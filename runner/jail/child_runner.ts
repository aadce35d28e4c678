/**
 * Runs a module in a child `deno run` under exactly the given permission flags and streams the
 * events it emits back to the host, which appends them to its canonical sink as they arrive.
 *
 * @example
 * ```ts ignore
 * import { computeRunPermissions } from "./permission_flags.ts";
 * import { runInJail } from "./child_runner.ts";
 * const perms = computeRunPermissions({ agentDir: "/agents/shop", tools: [] }, { mode: "offline" });
 * const r = await runInJail(new URL("./jail_entry.ts", import.meta.url), ["--agent", "/agents/shop"], perms, {
 *   onEvent: (e) => console.log(e.type),
 * });
 * console.log(r.code);
 * ```
 * @module
 */
import type { Event } from "../../core/events.ts";
import { isProgramMissing, missingProgram } from "../../core/environment_errors.ts";
import {
  type ErrorMessage,
  parseJailLine,
  type ToolCallMessage,
  type ToolResultMessage,
} from "./protocol.ts";
import type { RunPermissions } from "./permission_flags.ts";

/** Options of {@link runInJail}. */
export interface RunInJailOptions {
  /** Kills the child when aborted. */
  signal?: AbortSignal;
  /** Called, in order, for each event the child emits; awaited before the next one. */
  onEvent?: (event: Event) => void | Promise<void>;
  /** Called for each progress message (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called for each stdout line that is not a protocol message (default: kept in `output`). */
  onOutput?: (line: string) => void;
  /** The child's whole environment. Default: PATH, HOME, DENO_DIR, XDG_CACHE_HOME, TMPDIR, NO_COLOR and the permitted env keys, from the host. */
  env?: Record<string, string>;
  /**
   * Variables set on top of {@link RunInJailOptions.env} (or the default environment), winning
   * over a host variable of the same name, which is then never copied: the jail's egress proxy
   * and trust file, and the placeholders of secrets (never a real value). Default none.
   */
  extraEnv?: Readonly<Record<string, string>>;
  /** `deno.json` to run the child with. Default: zu's own, when it exists. */
  config?: string | null;
  /** Working directory of the child. Default: the host's. */
  cwd?: string;
  /** Keep at most this many bytes of the child's stderr. Default 65536. */
  maxStderrBytes?: number;
  /** The deno binary. Default `Deno.execPath()`. */
  denoPath?: string;
  /** Text written to the child's stdin, then closed (e.g. a decrypted bundle). Default: no stdin. */
  input?: string;
  /**
   * Runs a host-executed tool the child asks for (`tool_call` lines); its answer goes back as a
   * `tool_result` line on the child's stdin, which stays open until the child reports its result.
   * A throw becomes an `error` reply. Not together with `input`. Default: no host tools.
   */
  onToolCall?: (call: ToolCallMessage) => Promise<ToolResultMessage>;
  /**
   * One line written to the child's stdin before anything else (before `input` or the first
   * `tool_result`): what must not sit in its argv, which every local user can read (the model
   * broker's phantom). Default none.
   */
  preamble?: string;
}

/** How the child ended. */
export interface JailOutcome {
  /** The child's exit code. */
  code: number;
  /** The child's `result` message, if any. */
  result: unknown;
  /** The child's `error` message, if any. */
  error: ErrorMessage | null;
  /** Events received (in order). */
  events: number;
  /** Non-protocol stdout lines (when no `onOutput` was given). */
  output: string[];
  /** The child's stderr (capped). */
  stderr: string;
  /** The exact argv used (after the deno binary). */
  argv: string[];
}

const BASE_ENV = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "NO_COLOR"];

function defaultEnv(
  keys: readonly string[],
  skip: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of [...BASE_ENV, ...keys]) {
    if (Object.hasOwn(skip, k)) continue; // set by the caller: the host's value is never read
    try {
      const v = Deno.env.get(k);
      if (v !== undefined) env[k] = v;
    } catch {
      // not permitted to read it: the child does not get it either
    }
  }
  return env;
}

function defaultConfig(): string | null {
  const url = new URL("../../deno.json", import.meta.url);
  if (url.protocol !== "file:") return null;
  try {
    Deno.statSync(url);
    return url.pathname;
  } catch {
    return null;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf.length) yield buf;
}

async function readCapped(stream: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const dec = new TextDecoder();
  let out = "";
  for await (const chunk of stream) {
    if (out.length < max) out += dec.decode(chunk, { stream: true });
  }
  return out.length > max ? out.slice(0, max) : out;
}

/**
 * Spawns `deno run <perms.flags> [--config zu/deno.json] <entry> <args>` with a cleared
 * environment and streams its events. Resolves when the child exits.
 */
export async function runInJail(
  entry: string | URL,
  args: readonly string[],
  perms: Pick<RunPermissions, "flags" | "env">,
  options: RunInJailOptions = {},
): Promise<JailOutcome> {
  for (const f of perms.flags) {
    if (f === "-A" || f === "--allow-all" || /^--allow-(run|ffi|sys)(=|$)/.test(f)) {
      throw new TypeError(`Cannot start jailed child: flag "${f}" is never granted`);
    }
  }
  const entryPath = typeof entry === "string"
    ? entry
    : entry.protocol === "file:"
    ? entry.pathname
    : entry.href;
  const config = options.config === undefined ? defaultConfig() : options.config;
  const argv = ["run", ...perms.flags, ...(config ? ["--config", config] : []), entryPath, ...args];
  if (options.onToolCall && options.input !== undefined) {
    throw new TypeError("Cannot start jailed child: onToolCall and input are exclusive");
  }
  const onToolCall = options.onToolCall;
  const cmd = new Deno.Command(options.denoPath ?? Deno.execPath(), {
    args: argv,
    stdin: options.input === undefined && !onToolCall && options.preamble === undefined
      ? "null"
      : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: {
      ...(options.env ?? defaultEnv(perms.env, options.extraEnv ?? {})),
      ...options.extraEnv,
    },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let child: Deno.ChildProcess;
  try {
    child = cmd.spawn();
  } catch (e) {
    const deno = options.denoPath ?? Deno.execPath();
    throw isProgramMissing(e) ? missingProgram("start the jailed child", deno, { cause: e }) : e;
  }
  const preamble = options.preamble === undefined
    ? ""
    : `${options.preamble.replace(/\n/g, " ")}\n`;
  const inputP = options.input === undefined && (onToolCall || !preamble)
    ? Promise.resolve()
    : (async () => {
      const w = child.stdin.getWriter();
      try {
        await w.write(new TextEncoder().encode(preamble + (options.input ?? "")));
        await w.close();
      } catch {
        // the child exited without reading its input; its status says why
      }
    })();
  const replies = onToolCall ? child.stdin.getWriter() : null;
  let repliesOpen = replies !== null;
  let replyChain: Promise<void> = replies && preamble
    ? replies.write(new TextEncoder().encode(preamble)).catch(() => {})
    : Promise.resolve();
  const closeReplies = (): void => {
    if (!replies || !repliesOpen) return;
    repliesOpen = false;
    replyChain = replyChain.then(() => replies.close()).catch(() => {});
  };
  const pendingCalls: Promise<void>[] = [];
  const answer = (call: ToolCallMessage): void => {
    pendingCalls.push((async () => {
      let reply: ToolResultMessage;
      try {
        reply = await onToolCall!(call);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        reply = {
          zu_jail: "tool_result",
          id: call.id,
          error: { name: e.name, message: e.message.split("\n")[0] ?? "" },
        };
      }
      const line = JSON.stringify({ ...reply, zu_jail: "tool_result", id: call.id }) + "\n";
      replyChain = replyChain.then(async () => {
        if (repliesOpen) await replies!.write(new TextEncoder().encode(line));
      }).catch(() => {
        // the child is gone; its status says why
      });
      await replyChain;
    })());
  };
  const stderrP = readCapped(child.stderr, options.maxStderrBytes ?? 65536);
  let result: unknown = undefined;
  let error: ErrorMessage | null = null;
  let events = 0;
  const output: string[] = [];
  let callbackError: unknown = null;
  for await (const line of lines(child.stdout)) {
    const msg = parseJailLine(line);
    if (!msg) {
      if (options.onOutput) options.onOutput(line);
      else if (output.length < 1000) output.push(line);
      continue;
    }
    if (msg.zu_jail === "event") {
      events++;
      if (options.onEvent && callbackError === null) {
        try {
          await options.onEvent(msg.event);
        } catch (err) {
          callbackError = err;
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
        }
      }
    } else if (msg.zu_jail === "result") {
      result = msg.result;
      closeReplies();
    } else if (msg.zu_jail === "error") {
      error = msg;
      closeReplies();
    } else if (msg.zu_jail === "tool_call") {
      if (onToolCall && repliesOpen) answer(msg);
    } else if (msg.zu_jail === "progress") {
      options.onProgress?.(msg.done, msg.total);
    }
  }
  closeReplies();
  const status = await child.status;
  await Promise.all(pendingCalls);
  await replyChain;
  const stderr = await stderrP;
  await inputP;
  if (callbackError !== null) throw callbackError;
  return { code: status.code, result, error, events, output, stderr, argv };
}
