/**
 * Starting a process in a running sandbox over an attached exec, the one way zu does it (plain
 * execs, the exec session, the browser's JSON-lines session): stdout and stderr attached (a
 * multiplexed stream, see `exec_stream.ts`), stdin only when asked, and the floor for every exec
 * — the sandbox user, never privileged.
 *
 * @example
 * ```ts ignore
 * import { createSandboxExec, startSandboxExec } from "./sandbox_exec_start.ts";
 * const { stream } = await startSandboxExec(container, ["deno", "--version"], { stdin: false });
 * const exec = await createSandboxExec(container, ["cat"], { stdin: true }); // start it yourself
 * ```
 * @module
 */
import type { Duplex } from "node:stream";
import type Dockerode from "dockerode";
import type { DockerContainer } from "./docker_client.ts";
import { SANDBOX_USER } from "./hardening.ts";

/** Options of {@link startSandboxExec}. */
export interface SandboxExecStartOptions {
  /** Attach stdin (the caller writes to the stream). */
  stdin: boolean;
  /** Environment (`NAME=value`) for this exec only. */
  env?: string[];
}

/** Creates the exec, not started: the floor's user, never privileged (see the module doc). */
export function createSandboxExec(
  container: DockerContainer,
  cmd: string[],
  options: SandboxExecStartOptions,
): Promise<Dockerode.Exec> {
  return container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin,
    Tty: false,
    ...(options.env !== undefined ? { Env: options.env } : {}),
    // The floor holds for every exec too: the sandbox user, never privileged.
    User: SANDBOX_USER,
    Privileged: false,
  });
}

/** Creates and starts the exec; the exec (for its exit code) and its hijacked stream. */
export async function startSandboxExec(
  container: DockerContainer,
  cmd: string[],
  options: SandboxExecStartOptions,
): Promise<{ exec: Dockerode.Exec; stream: Duplex }> {
  const exec = await createSandboxExec(container, cmd, options);
  const stream = await exec.start({ hijack: true, stdin: options.stdin }) as unknown as Duplex;
  return { exec, stream };
}
