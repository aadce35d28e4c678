/**
 * `SandboxSessions`: the `zu-session` of each sandbox of a backend, opened on first use and
 * reused (one per sandbox), reopened after a loss, closed with the sandbox. Whether an image ships
 * the agent is decided once per image, from its {@link SESSION_AGENT_LABEL} label, and once per
 * sandbox when the agent will not start (that sandbox then uses plain execs).
 * {@link execThroughSession} maps an exec onto a session command.
 *
 * @example
 * ```ts ignore
 * import { SandboxSessions } from "./sandbox_sessions.ts";
 * const sessions = new SandboxSessions(() => backend.client());
 * const session = await sessions.get(handle); // null: the image has no agent
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import type { ExecOptions, ExecResult, ExecSession, SandboxHandle } from "../../core/types.ts";
import { attachExecSession, SESSION_AGENT_LABEL } from "./exec_session.ts";
import { exitCodeOf } from "./session_client.ts";

/** The sessions of one backend's sandboxes (see the module doc). */
export class SandboxSessions {
  #client: () => Promise<Dockerode>;
  #open = new Map<string, Promise<ExecSession | null>>();
  #imageHasAgent = new Map<string, Promise<string | null>>();
  #noAgent = new Set<string>();

  /** `client` gives the Docker client. */
  constructor(client: () => Promise<Dockerode>) {
    this.#client = client;
  }

  async #agentOf(docker: Dockerode, containerId: string): Promise<string | null> {
    const info = await docker.getContainer(containerId).inspect();
    const imageId = info.Image;
    let known = this.#imageHasAgent.get(imageId);
    if (!known) {
      known = docker.getImage(imageId).inspect().then(
        (i) => i.Config?.Labels?.[SESSION_AGENT_LABEL] ?? null,
        () => null,
      );
      this.#imageHasAgent.set(imageId, known);
    }
    return await known;
  }

  /** The sandbox's session, opened if needed; `null` when its image has no agent. */
  get(handle: SandboxHandle): Promise<ExecSession | null> {
    if (this.#noAgent.has(handle.id)) return Promise.resolve(null);
    const open = this.#open.get(handle.id);
    if (!open) return this.#start(handle, false);
    const again = () =>
      this.#open.get(handle.id) === open ? this.#start(handle, true) : this.get(handle);
    return open.then((s) => s && s.alive ? s : again(), again);
  }

  /** Like {@link get}, but fails when the image has no agent. */
  async require(handle: SandboxHandle): Promise<ExecSession> {
    const s = await this.get(handle);
    if (!s) throw new TypeError(`Sandbox "${handle.name}" has no zu-session agent in its image`);
    return s;
  }

  #start(handle: SandboxHandle, reopen: boolean): Promise<ExecSession | null> {
    const opening = (async () => {
      const docker = await this.#client();
      if (!reopen && !(await this.#agentOf(docker, handle.id))) {
        this.#noAgent.add(handle.id);
        return null;
      }
      try {
        return await attachExecSession(docker.getContainer(handle.id), { sandboxId: handle.id });
      } catch (error) {
        // An agent that never started in this sandbox will not: plain execs from now on.
        if (reopen) throw error;
        this.#noAgent.add(handle.id);
        return null;
      }
    })();
    this.#open.set(handle.id, opening);
    opening.catch(() => {});
    return opening;
  }

  /** Closes the sandbox's session, if any (before it is destroyed). */
  async close(handle: SandboxHandle): Promise<void> {
    const open = this.#open.get(handle.id);
    this.#open.delete(handle.id);
    this.#noAgent.delete(handle.id);
    if (open) await open.then((s) => s?.close(), () => {});
  }
}

/** Runs `cmd` through `session` with the options of a plain exec; the result as a plain exec's. */
export async function execThroughSession(
  session: ExecSession,
  cmd: string[],
  options: ExecOptions & { timeoutMs: number; maxOutputBytes: number },
): Promise<ExecResult> {
  const stdin = options.stdin === undefined || typeof options.stdin === "string"
    ? options.stdin
    : new TextDecoder("utf-8", { fatal: true }).decode(options.stdin);
  const r = await session.run({
    argv: cmd,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    ...(stdin !== undefined ? { stdin } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (r.timedOut && options.signal?.aborted) {
    throw options.signal.reason ?? new DOMException("Aborted", "AbortError");
  }
  return {
    exitCode: exitCodeOf(r),
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.timedOut,
    truncated: r.truncated,
    durationMs: r.durationMs,
  };
}
