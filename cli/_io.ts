/**
 * The CLI's seam to the outside world: output streams, environment, working directory and
 * whether stderr is a terminal. Tests pass a {@link captureIo} to read what a command printed.
 *
 * @module
 */
import { safeEnv } from "../core/env.ts";
import { Interrupted } from "../core/errors.ts";

/** Everything a command may touch besides files and the network. */
export interface CliIo {
  /** Writes text to standard output as is. */
  stdout(text: string): void;
  /** Writes text to standard error as is. */
  stderr(text: string): void;
  /** Reads an environment variable; `undefined` when unset or not permitted. */
  env(name: string): string | undefined;
  /** The environment variables whose names start with `prefix` (e.g. `ZU_`). */
  envWithPrefix(prefix: string): Record<string, string>;
  /** The working directory that relative paths are resolved against. */
  cwd: string;
  /** Standard error is a terminal (progress redraws in place). */
  isTTY: boolean;
  /** Colour is off (`NO_COLOR` set or not a terminal). */
  noColor: boolean;
  /** Cancels long-running commands (SIGINT in the real CLI). */
  signal?: AbortSignal;
  /**
   * Reads standard input to its end (a secret value for `zu vault set`). On a terminal, shows
   * `prompt` on stderr and reads one line without echoing it. Absent: there is no input.
   */
  readStdin?(prompt: string): Promise<Uint8Array>;
}

const encoder = new TextEncoder();

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) {
      const n = file.writeSync(bytes);
      bytes = bytes.subarray(n);
    }
  } catch (err) {
    // The reader went away (`zu events list | head`): drop the rest quietly.
    if (err instanceof Deno.errors.BrokenPipe) return;
    throw err;
  }
}

/** The process's real streams, environment and working directory. */
export function defaultIo(signal?: AbortSignal): CliIo {
  let isTTY = false;
  try {
    isTTY = Deno.stderr.isTerminal();
  } catch {
    isTTY = false;
  }
  const io: CliIo = {
    stdout: (text) => writeAllSync(Deno.stdout, text),
    stderr: (text) => writeAllSync(Deno.stderr, text),
    env: safeEnv,
    envWithPrefix: (prefix) => {
      let all: Record<string, string> = {};
      try {
        all = Deno.env.toObject();
      } catch {
        // scoped --allow-env: read the names zu knows
        const id = safeEnv("ZU_EVENT_KEY_ID") ?? "default";
        for (
          const k of ["ZU_FIXTURE_KEY", "ZU_EVENT_KEY", "ZU_EVENT_KEY_ID", `ZU_EVENT_KEY_${id}`]
        ) {
          const v = safeEnv(k);
          if (v !== undefined) all[k] = v;
        }
      }
      return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(prefix)));
    },
    cwd: Deno.cwd(),
    isTTY,
    noColor: Deno.noColor || safeEnv("NO_COLOR") !== undefined || !isTTY,
  };
  if (signal) io.signal = signal;
  io.readStdin = readProcessStdin;
  return io;
}

/** Reads the process's stdin: to its end, or one hidden line on a terminal. */
async function readProcessStdin(prompt: string): Promise<Uint8Array> {
  let terminal = false;
  try {
    terminal = Deno.stdin.isTerminal();
  } catch {
    terminal = false;
  }
  if (!terminal) return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  writeAllSync(Deno.stderr, prompt);
  const out: number[] = [];
  const buf = new Uint8Array(256);
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      let done = false;
      for (const b of buf.subarray(0, n)) {
        if (b === 0x03) throw new Interrupted();
        if (b === 0x0d || b === 0x0a || b === 0x04) {
          done = true;
          break;
        }
        if (b === 0x7f || b === 0x08) out.pop();
        else out.push(b);
      }
      buf.fill(0);
      if (done) break;
    }
  } finally {
    Deno.stdin.setRaw(false);
    writeAllSync(Deno.stderr, "\n");
  }
  return Uint8Array.from(out);
}

/** A {@link CliIo} that records output, for tests. */
export interface CapturedIo extends CliIo {
  /** Everything written to stdout. */
  readonly out: string[];
  /** Everything written to stderr. */
  readonly err: string[];
  /** stdout joined. */
  stdoutText(): string;
  /** stderr joined. */
  stderrText(): string;
}

/** Options of {@link captureIo}. */
export interface CaptureIoOptions {
  /** Environment (default: empty). */
  env?: Record<string, string>;
  /** Working directory (default: `Deno.cwd()`). */
  cwd?: string;
  /** Pretend stderr is a terminal (default false). */
  isTTY?: boolean;
  /** Cancels long-running commands. */
  signal?: AbortSignal;
  /** What standard input holds (default: no input). */
  stdin?: string | Uint8Array;
}

/** Builds an in-memory {@link CliIo}. */
export function captureIo(options: CaptureIoOptions = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const env = options.env ?? {};
  const io: CapturedIo = {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: (name) => env[name],
    envWithPrefix: (prefix) =>
      Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(prefix))),
    cwd: options.cwd ?? Deno.cwd(),
    isTTY: options.isTTY ?? false,
    noColor: true,
    stdoutText: () => out.join(""),
    stderrText: () => err.join(""),
  };
  if (options.signal) io.signal = options.signal;
  const stdin = options.stdin;
  if (stdin !== undefined) {
    io.readStdin = () =>
      Promise.resolve(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
  }
  return io;
}
