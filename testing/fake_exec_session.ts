/**
 * An in-memory {@link ExecSession}: each `run` is answered by a handler (default: exit 0 with no
 * output) and recorded; the command's timeout, cap and signal are honoured the way the real
 * session does (a handler that does not settle within `timeoutMs` is a `timedOut` result, each
 * stream is cut at `maxOutputBytes` with `truncated`). Files live in a map.
 *
 * @example
 * ```ts
 * import { FakeExecSession } from "./fake_exec_session.ts";
 * const session = new FakeExecSession((cmd) => ({ stdout: cmd.argv?.join(" ") ?? "" }));
 * const r = await session.run({ argv: ["echo", "hi"] });
 * console.assert(r.exitCode === 0 && r.stdout === "echo hi" && session.commands.length === 1);
 * ```
 * @module
 */
import type { ExecSession, SessionCommand, SessionDirEntry, SessionResult } from "../core/types.ts";

/** What a handler answers: any part of a {@link SessionResult} (the rest defaults). */
export type FakeRunReply = Partial<SessionResult>;

/** Answers one command; may return a promise (never settling models a hung command). */
export type FakeRunHandler = (command: SessionCommand) => FakeRunReply | Promise<FakeRunReply>;

function cut(text: string, cap: number): [string, boolean] {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= cap) return [text, false];
  return [new TextDecoder().decode(bytes.subarray(0, cap)).replace(/\uFFFD$/, ""), true];
}

/** A fake {@link ExecSession} for unit tests. */
export class FakeExecSession implements ExecSession {
  /** The sandbox id it claims. */
  readonly sandboxId: string;
  /** Every command run, in order. */
  readonly commands: SessionCommand[] = [];
  /** The files (`readFile`/`writeFile`/`listDir`). */
  readonly files: Map<string, Uint8Array> = new Map();
  #handler: FakeRunHandler;
  #alive = true;
  #lost: string | null = null;

  /** Creates a session answering with `handler`. */
  constructor(handler: FakeRunHandler = () => ({}), options: { sandboxId?: string } = {}) {
    this.#handler = handler;
    this.sandboxId = options.sandboxId ?? "fake-sandbox";
  }

  /** False once closed or lost. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Makes every later call fail as a lost session does. */
  lose(why = "the session process exited"): void {
    this.#alive = false;
    this.#lost = why;
  }

  #check(): void {
    if (this.#lost !== null) throw new Error(`SessionLost: ${this.#lost}`);
    if (!this.#alive) throw new TypeError("Cannot use a closed session");
  }

  /** Runs `command` through the handler. */
  async run(command: SessionCommand): Promise<SessionResult> {
    this.#check();
    this.commands.push(command);
    const timeoutMs = command.timeoutMs ?? 30_000;
    const cap = command.maxOutputBytes ?? 1024 * 1024;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<"killed">((resolve) => {
      timer = setTimeout(() => resolve("killed"), timeoutMs);
      command.signal?.addEventListener("abort", () => resolve("killed"), { once: true });
      if (command.signal?.aborted) resolve("killed");
    });
    try {
      const reply = await Promise.race([Promise.resolve(this.#handler(command)), killed]);
      const durationMs = performance.now() - started;
      if (reply === "killed") {
        return {
          exitCode: null,
          signal: "SIGKILL",
          stdout: "",
          stderr: "",
          truncated: false,
          timedOut: true,
          durationMs,
        };
      }
      const [stdout, t1] = cut(reply.stdout ?? "", cap);
      const [stderr, t2] = cut(reply.stderr ?? "", cap);
      return {
        exitCode: reply.exitCode === undefined ? 0 : reply.exitCode,
        signal: reply.signal ?? null,
        stdout,
        stderr,
        truncated: (reply.truncated ?? false) || t1 || t2,
        timedOut: reply.timedOut ?? false,
        durationMs: reply.durationMs ?? durationMs,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads a stored file. */
  readFile(path: string): Promise<Uint8Array> {
    this.#check();
    const data = this.files.get(path);
    if (!data) return Promise.reject(new Deno.errors.NotFound(`No such file "${path}"`));
    return Promise.resolve(data.slice());
  }

  /** Stores a file. */
  writeFile(path: string, data: Uint8Array): Promise<void> {
    this.#check();
    this.files.set(path, data.slice());
    return Promise.resolve();
  }

  /** Lists the stored files directly under `path`. */
  listDir(path: string): Promise<SessionDirEntry[]> {
    this.#check();
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const out: SessionDirEntry[] = [];
    for (const [p, data] of this.files) {
      const rest = p.startsWith(prefix) ? p.slice(prefix.length) : null;
      if (rest && !rest.includes("/")) out.push({ name: rest, kind: "file", size: data.length });
    }
    return Promise.resolve(out);
  }

  /** Closes it. Idempotent. */
  close(): Promise<void> {
    this.#alive = false;
    return Promise.resolve();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
