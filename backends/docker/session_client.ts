/**
 * The host side of `zu-session` over any byte pipe: `SessionClient` implements `ExecSession`
 * (multiplexed calls by id, output reassembled and decoded, files chunked) on a
 * {@link SessionTransport}. When the pipe ends, or the agent sends a bad frame, every call in
 * flight fails at once with {@link SessionLost} (code `session_lost`) and the session is dead.
 * `exec_session.ts` puts it on a Docker exec; tests put it on a local process.
 *
 * @example
 * ```ts ignore
 * import { SessionClient } from "./session_client.ts";
 * const client = new SessionClient("local", transport); // transport: a SessionTransport
 * await client.ready();
 * console.log((await client.run({ argv: ["id"] })).stdout);
 * ```
 * @module
 */
import { RunFailure } from "../../core/errors.ts";
import type {
  ExecSession,
  SessionCommand,
  SessionDirEntry,
  SessionResult,
} from "../../core/types.ts";
import {
  type AgentFrame,
  encodeFrame,
  FrameReader,
  fromBase64,
  MAX_CHUNK_BYTES,
  parseAgentFrame,
  SESSION_PROTO,
  toBase64,
  type WireEntry,
} from "./session_agent/frames.ts";

/** A call in flight failed because the session's agent or its pipe went away. */
export class SessionLost extends RunFailure {
  override name = "SessionLost";
  /** Creates the error; `why` says what happened. */
  constructor(sandboxId: string, why: string, options?: ErrorOptions) {
    super("session_lost", `Session of sandbox "${sandboxId}" lost: ${why}`, options);
  }
}

/** A byte pipe to a `zu-session` agent. */
export interface SessionTransport {
  /** Sends bytes to the agent's stdin. */
  write(bytes: Uint8Array): void;
  /** Ends the agent's stdin and drops the pipe. */
  destroy(): void;
  /** Registers the receivers of the agent's stdout bytes and of the pipe's end. */
  listen(onData: (bytes: Uint8Array) => void, onEnd: (why: string) => void): void;
}

/** Default command timeout (ms). */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** Default output cap per stream (bytes). */
export const DEFAULT_SESSION_MAX_OUTPUT = 1024 * 1024;
/** Default `readFile` limit (bytes). */
export const DEFAULT_READ_MAX = 8 * 1024 * 1024;
/** How long past its timeout the host waits for a command's `exit` before it gives up. */
const HOST_GRACE_MS = 10_000;

interface Pending {
  onFrame(frame: AgentFrame): void;
  fail(error: Error): void;
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGSEGV: 11 };

/** The host end of one session (see the module doc). */
export class SessionClient implements ExecSession {
  readonly sandboxId: string;
  #transport: SessionTransport;
  #reader = new FrameReader();
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #lost: Error | null = null;
  #closed = false;
  #hello: Promise<AgentFrame & { t: "hello" }>;
  #onHello!: (f: AgentFrame & { t: "hello" }) => void;
  #onHelloFail!: (e: Error) => void;
  #onLost: ((why: string) => void) | undefined;

  /** Wraps `transport`; call {@link ready} before the first call. */
  constructor(sandboxId: string, transport: SessionTransport, onLost?: (why: string) => void) {
    this.sandboxId = sandboxId;
    this.#transport = transport;
    this.#onLost = onLost;
    this.#hello = new Promise((resolve, reject) => {
      this.#onHello = resolve;
      this.#onHelloFail = reject;
    });
    this.#hello.catch(() => {});
    transport.listen((bytes) => this.#data(bytes), (why) => this.#lose(why));
  }

  /** False once the session is closed or lost. */
  get alive(): boolean {
    return !this.#lost && !this.#closed;
  }

  /** Waits for the agent's `hello` (at most `timeoutMs`); returns the agent's pid. */
  async ready(timeoutMs = 20_000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const hello = await Promise.race([
        this.#hello,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new SessionLost(this.sandboxId, `no hello in ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return hello.pid;
    } catch (error) {
      this.#lose(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #data(bytes: Uint8Array): void {
    if (this.#lost) return;
    try {
      for (const body of this.#reader.push(bytes)) {
        const frame = parseAgentFrame(body);
        if (frame.t === "hello") {
          if (frame.proto !== SESSION_PROTO) throw new Error(`protocol ${frame.proto}`);
          this.#onHello(frame);
          continue;
        }
        this.#pending.get(frame.id)?.onFrame(frame);
      }
    } catch (error) {
      this.#lose(`bad frame from the agent (${error instanceof Error ? error.message : error})`);
      this.#transport.destroy();
    }
  }

  #lose(why: string): void {
    if (this.#lost) return;
    this.#lost = this.#closed ? new SessionLost(this.sandboxId, "closed") : new SessionLost(
      this.sandboxId,
      why,
    );
    this.#onHelloFail(this.#lost);
    for (const p of [...this.#pending.values()]) p.fail(this.#lost);
    this.#pending.clear();
    if (!this.#closed) {
      try {
        this.#onLost?.(why);
      } catch {
        // a listener must not break the session's teardown
      }
    }
  }

  #check(): void {
    if (this.#closed) throw new SessionLost(this.sandboxId, "closed");
    if (this.#lost) throw this.#lost;
  }

  #send(frame: Record<string, unknown>): void {
    this.#transport.write(encodeFrame(frame));
  }

  #call<T>(
    start: (id: number) => void,
    onFrame: (frame: AgentFrame, done: (v: T) => void, fail: (e: Error) => void) => void,
  ): Promise<T> {
    try {
      this.#check();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const finish = () => this.#pending.delete(id);
      const done = (v: T) => (finish(), resolve(v));
      const fail = (e: Error) => (finish(), reject(e));
      this.#pending.set(id, { onFrame: (f) => onFrame(f, done, fail), fail });
      try {
        start(id);
      } catch (error) {
        fail(error as Error);
      }
    });
  }

  /** Runs one command (see `SessionCommand`). Calls may overlap. */
  run(command: SessionCommand): Promise<SessionResult> {
    if ((command.argv === undefined) === (command.sh === undefined)) {
      return Promise.reject(new TypeError("A session command needs exactly one of argv and sh"));
    }
    if (command.argv?.length === 0) {
      return Promise.reject(new TypeError("Cannot run an empty argv"));
    }
    if (command.signal?.aborted) return Promise.reject(command.signal.reason);
    const timeoutMs = Math.max(1, Math.round(command.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS));
    const cap = Math.max(0, Math.round(command.maxOutputBytes ?? DEFAULT_SESSION_MAX_OUTPUT));
    const out: Uint8Array[][] = [[], []];
    const held = [0, 0];
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const cleanup = () => {
      clearTimeout(watchdog);
      if (onAbort) command.signal?.removeEventListener("abort", onAbort);
    };
    return this.#call<SessionResult>((id) => {
      this.#send({
        t: "run",
        id,
        ...(command.argv ? { argv: command.argv } : { sh: command.sh }),
        ...(command.cwd !== undefined ? { cwd: command.cwd } : {}),
        ...(command.env !== undefined ? { env: command.env } : {}),
        ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
        timeout_ms: timeoutMs,
        max_output: cap,
      });
      onAbort = () => {
        if (this.alive) this.#send({ t: "cancel", id });
      };
      command.signal?.addEventListener("abort", onAbort, { once: true });
      watchdog = setTimeout(() => {
        const p = this.#pending.get(id);
        p?.fail(new SessionLost(this.sandboxId, `no exit ${HOST_GRACE_MS} ms after the timeout`));
      }, timeoutMs + HOST_GRACE_MS);
    }, (frame, done, fail) => {
      if (frame.t === "out") {
        // The agent caps output; the host holds no more than the cap whatever it is sent.
        const k = frame.stream === 2 ? 1 : 0;
        if (held[k]! <= cap) {
          const bytes = fromBase64(frame.data);
          held[k]! += bytes.length;
          out[k]!.push(bytes);
        }
      } else if (frame.t === "exit") {
        cleanup();
        done({
          exitCode: frame.code ?? null,
          signal: frame.signal ?? null,
          stdout: decode(out[0]!, cap),
          stderr: decode(out[1]!, cap),
          truncated: frame.truncated,
          timedOut: frame.timed_out,
          durationMs: frame.duration_ms,
        });
      } else if (frame.t === "err") {
        cleanup();
        fail(new Error(`zu-session: ${frame.code}: ${frame.message}`));
      }
    }).finally(cleanup);
  }

  /** Reads a file of the sandbox (at most `maxBytes`, default 8 MiB). */
  readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const max = options.maxBytes ?? DEFAULT_READ_MAX;
    const chunks: Uint8Array[] = [];
    return this.#call<Uint8Array>(
      (id) => this.#send({ t: "read", id, path, max }),
      (f, done, fail) => {
        if (f.t === "data") {
          chunks.push(fromBase64(f.data));
          if (f.eof) done(concat(chunks));
        } else if (f.t === "err") fail(fsError("read", path, f));
      },
    );
  }

  /** Writes (creates or replaces) a file of the sandbox. */
  writeFile(path: string, data: Uint8Array, options: { mode?: number } = {}): Promise<void> {
    return this.#call<void>((id) => {
      let at = 0;
      do {
        const chunk = data.subarray(at, at + MAX_CHUNK_BYTES);
        const final = at + MAX_CHUNK_BYTES >= data.length;
        this.#send({
          t: "write",
          id,
          path,
          ...(options.mode !== undefined && at === 0 ? { mode: options.mode } : {}),
          data: toBase64(chunk),
          append: at > 0,
          final,
        });
        at += MAX_CHUNK_BYTES;
      } while (at < data.length);
    }, (f, done, fail) => {
      if (f.t === "ok") done();
      else if (f.t === "err") fail(fsError("write", path, f));
    });
  }

  /** Lists a directory of the sandbox. */
  listDir(path: string): Promise<SessionDirEntry[]> {
    const all: WireEntry[] = [];
    return this.#call<SessionDirEntry[]>(
      (id) => this.#send({ t: "list", id, path }),
      (f, done, fail) => {
        if (f.t === "entries") {
          all.push(...f.entries);
          if (f.eof) {
            done(all.map((e) => ({
              name: e.name,
              kind:
                (["file", "dir", "symlink"].includes(e.kind) ? e.kind : "other") as SessionDirEntry[
                  "kind"
                ],
              size: e.size,
            })));
          }
        } else if (f.t === "err") fail(fsError("list", path, f));
      },
    );
  }

  /** Ends the agent (a `close` frame, then the pipe). Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    try {
      if (!this.#lost) this.#send({ t: "close" });
    } catch {
      // the pipe is gone already
    }
    this.#transport.destroy();
    this.#lose("closed");
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The exit code a plain exec would report for a session result (128 + signal when killed). */
export function exitCodeOf(result: SessionResult): number {
  if (result.exitCode !== null) return result.exitCode;
  return 128 + (SIGNALS[result.signal ?? ""] ?? 9);
}

function fsError(op: string, path: string, f: { code: string; message: string }): Error {
  return new Error(`Cannot ${op} "${path}" in the sandbox: ${f.code}: ${f.message}`);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function decode(chunks: Uint8Array[], cap: number): string {
  const bytes = concat(chunks);
  return new TextDecoder().decode(bytes.length > cap ? bytes.subarray(0, cap) : bytes);
}
