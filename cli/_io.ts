/**
 * The CLI's seam to the outside world: output streams, environment, working directory and
 * whether stderr is a terminal. Tests pass a {@link captureIo} to read what a command printed.
 *
 * @module
 */

/** Everything a command may touch besides files and the network. */
export interface CliIo {
  /** Writes text to standard output as is. */
  stdout(text: string): void;
  /** Writes text to standard error as is. */
  stderr(text: string): void;
  /** Reads an environment variable; `undefined` when unset or not permitted. */
  env(name: string): string | undefined;
  /** The working directory that relative paths are resolved against. */
  cwd: string;
  /** Standard error is a terminal (progress redraws in place). */
  isTTY: boolean;
  /** Colour is off (`NO_COLOR` set or not a terminal). */
  noColor: boolean;
  /** Cancels long-running commands (SIGINT in the real CLI). */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = file.writeSync(bytes);
    bytes = bytes.subarray(n);
  }
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
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
    cwd: Deno.cwd(),
    isTTY,
    noColor: Deno.noColor || safeEnv("NO_COLOR") !== undefined || !isTTY,
  };
  if (signal) io.signal = signal;
  return io;
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
    cwd: options.cwd ?? Deno.cwd(),
    isTTY: options.isTTY ?? false,
    noColor: true,
    stdoutText: () => out.join(""),
    stderrText: () => err.join(""),
  };
  if (options.signal) io.signal = options.signal;
  return io;
}
