/**
 * Shared by `shell` and `run_code`: their options, where a call gets its sandbox, and the
 * observation. A run (keyed by its trace id) gets one hardened sandbox per image (`network:
 * none`, the backend's floor) the first time one of the two tools is called, with an
 * {@link ExecSession} attached: the backend's own `session(handle)` when it has one, else a plain
 * per-call exec ({@link backendExecSession}). Both tools of a run share it, so files written by
 * one call are there for the next; the run's end must call {@linkcode closeRunWorkspaces}.
 *
 * @example
 * ```ts
 * import { execObservation } from "./sandbox_exec.ts";
 * const obs = execObservation({
 *   exitCode: 0, signal: null, stdout: "hi\n", stderr: "", truncated: false, timedOut: false,
 *   durationMs: 3,
 * });
 * console.assert(obs.exit_code === 0 && obs.stdout === "hi\n");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type {
  ExecSession,
  RunContext,
  SandboxBackend,
  SandboxHandle,
  SessionCommand,
  SessionResult,
} from "../../core/types.ts";
import { safeEnv as systemEnv } from "../../core/env.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import { backendExecSession } from "./backend_exec_session.ts";
import { runKeyOf } from "./browser_target.ts";

/** Default image of the code tools: the locally built `zu-runtime:<version>` (deno, no shell). */
export const DEFAULT_EXEC_IMAGE: string = `zu-runtime:${
  (denoConfig as { version?: string }).version ?? "dev"
}`;

/** Most a call may ask for as its timeout, ms. */
export const MAX_EXEC_TIMEOUT_MS = 600_000;

/** Options shared by `Shell` and `RunCode`. */
export interface ExecToolOptions {
  /** Where the run's sandbox is launched (e.g. `LocalDockerBackend`). Required for a live call. */
  backend?: SandboxBackend;
  /** Image of the run's sandbox. Default `ZU_EXEC_IMAGE` or `zu-runtime:<version>`. */
  image?: string;
  /** Per-command timeout when the call gives none, ms. Default 30,000. */
  timeoutMs?: number;
  /** Cap of stdout and of stderr, each, in bytes. Default 65,536. */
  maxOutputBytes?: number;
  /**
   * The session of a call (tests, embedders with their own sandbox). Default: the run's shared
   * sandbox on `backend`, launched at the first call.
   */
  openSession?: (ctx: RunContext) => Promise<ExecSession>;
  /** Environment seam. Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
}

/** The resolved options. */
export class ExecToolConfig {
  /** Default per-command timeout, ms. */
  readonly timeoutMs: number;
  /** Output cap per stream, bytes. */
  readonly maxOutputBytes: number;
  /** Image. */
  readonly image: string;
  #backend: SandboxBackend | null;
  #open: ((ctx: RunContext) => Promise<ExecSession>) | null;

  /** Applies defaults; throws `RangeError` on a bad number. */
  constructor(options: ExecToolOptions) {
    const env = options.env ?? systemEnv;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 65_536;
    if (!(this.timeoutMs > 0 && this.timeoutMs <= MAX_EXEC_TIMEOUT_MS)) {
      throw new RangeError(`Invalid timeoutMs "${this.timeoutMs}"`);
    }
    if (!(this.maxOutputBytes > 0)) {
      throw new RangeError(`Invalid maxOutputBytes "${this.maxOutputBytes}"`);
    }
    this.image = options.image ?? env("ZU_EXEC_IMAGE") ?? DEFAULT_EXEC_IMAGE;
    this.#backend = options.backend ?? null;
    this.#open = options.openSession ?? null;
  }

  /** The call's session: the seam's, or the run's shared sandbox (launched on first use). */
  session(tool: string, ctx: RunContext): Promise<ExecSession> {
    if (this.#open) return this.#open(ctx);
    const backend = this.#backend;
    if (!backend) {
      return Promise.reject(
        new UserError(
          "sandbox_required",
          `Cannot run "${tool}": no sandbox backend is configured (it runs commands in a sandbox)`,
        ),
      );
    }
    return runWorkspace(backend, this.image, runKeyOf(ctx));
  }

  /**
   * Runs a checked `command` of `tool` in the call's session, with the output cap and the call's
   * cancel signal: the observation, or `{error, failed: "session"}` when the session failed.
   */
  async run(
    tool: string,
    ctx: RunContext,
    command: SessionCommand,
  ): Promise<Record<string, unknown>> {
    command.maxOutputBytes = this.maxOutputBytes;
    if (ctx?.signal) command.signal = ctx.signal;
    try {
      const session = await this.session(tool, ctx);
      return execObservation(await session.run(command));
    } catch (error) {
      return execFailure(error, "session");
    }
  }

  /** The call's `timeout_ms` argument checked, or the default. Throws `TypeError`. */
  timeoutOf(args: Record<string, unknown>): number {
    const v = args["timeout_ms"];
    if (v === undefined || v === null) return this.timeoutMs;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_EXEC_TIMEOUT_MS) {
      throw new TypeError(
        `Invalid argument "timeout_ms": expected an integer from 1 to ${MAX_EXEC_TIMEOUT_MS}`,
      );
    }
    return v;
  }
}

interface Workspace {
  backend: SandboxBackend;
  handle: SandboxHandle;
  session: ExecSession;
}

// Run key -> image -> the sandbox: both tools of a run share it when they use the same image.
const RUN_WORKSPACES = new Map<string, Map<string, Promise<Workspace>>>();

async function attach(backend: SandboxBackend, handle: SandboxHandle): Promise<ExecSession> {
  // Lane "session": LocalDockerBackend.session(handle) gives the fast exec session.
  const own = (backend as { session?: (h: SandboxHandle) => Promise<ExecSession> }).session;
  return typeof own === "function"
    ? await own.call(backend, handle)
    : backendExecSession(backend, handle);
}

async function launch(backend: SandboxBackend, image: string, runKey: string): Promise<Workspace> {
  const handle = await backend.launch({
    image,
    network: "none",
    runId: runKey,
    env: { ZU_SANDBOXED: "1", HOME: "/tmp", DENO_DIR: "/tmp/.deno" },
  });
  try {
    return { backend, handle, session: await attach(backend, handle) };
  } catch (error) {
    await backend.destroy(handle).catch(() => {});
    throw error;
  }
}

async function runWorkspace(
  backend: SandboxBackend,
  image: string,
  runKey: string,
): Promise<ExecSession> {
  let byImage = RUN_WORKSPACES.get(runKey);
  if (!byImage) {
    byImage = new Map();
    RUN_WORKSPACES.set(runKey, byImage);
  }
  const known = byImage.get(image);
  if (known) {
    const ws = await known.catch(() => null);
    if (ws && ws.session.alive && ws.backend === backend) return ws.session;
    if (byImage.get(image) === known) byImage.delete(image);
    if (ws) await teardown(ws);
  }
  const entry = launch(backend, image, runKey);
  byImage.set(image, entry);
  entry.catch(() => {
    if (byImage.get(image) === entry) byImage.delete(image);
  });
  return (await entry).session;
}

async function teardown(ws: Workspace): Promise<void> {
  await ws.session.close().catch(() => {});
  await ws.backend.destroy(ws.handle);
}

/** Closes the run's sandboxes (each session, then its sandbox), if any. Idempotent. */
export async function closeRunWorkspaces(runKey: string): Promise<void> {
  const byImage = RUN_WORKSPACES.get(runKey);
  if (!byImage) return;
  RUN_WORKSPACES.delete(runKey);
  const errors: unknown[] = [];
  for (const entry of byImage.values()) {
    const ws = await entry.catch(() => null);
    if (ws) await teardown(ws).catch((e) => errors.push(e));
  }
  if (errors.length > 0) throw errors[0];
}

/** Run keys with a live sandbox (diagnostics and tests). */
export function openWorkspaceRuns(): string[] {
  return [...RUN_WORKSPACES.keys()];
}

/**
 * The observation of a command: `{exit_code, signal?, stdout, stderr, truncated, timed_out,
 * duration_ms}`; a command that did not end with exit 0 also gets an `error` line, so the
 * error detector and the model both see the failure.
 */
export function execObservation(result: SessionResult): Record<string, unknown> {
  const obs: Record<string, unknown> = {
    exit_code: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    truncated: result.truncated,
    timed_out: result.timedOut,
    duration_ms: Math.round(result.durationMs),
  };
  if (result.signal !== null) obs["signal"] = result.signal;
  if (result.timedOut) obs["error"] = `command timed out after ${Math.round(result.durationMs)} ms`;
  else if (result.exitCode !== 0) {
    obs["error"] = result.exitCode === null
      ? `command killed by ${result.signal ?? "a signal"}`
      : `command exited with code ${result.exitCode}`;
  }
  return obs;
}

/** The observation of a call that could not run (bad arguments, a lost session): `{error}`. */
export function execFailure(error: unknown, kind: string): Record<string, unknown> {
  if (error instanceof UserError) throw error; // configuration: the run cannot use the tool
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { error: message, failed: kind };
}
