/**
 * One connection to a Docker daemon through SSH, the way the docker CLI does it: the host's own
 * `ssh` binary runs `docker system dial-stdio` on the remote, which bridges its stdin/stdout to
 * the remote daemon's socket. Each connection is one `ssh` process, so `~/.ssh/config`, the
 * agent, `known_hosts` and `ProxyJump` work as they do for the user. Host key checking stays on
 * (`BatchMode=yes`: an unknown or changed host key is a failure, never a prompt). A failure of
 * ssh itself (host key, login, unreachable, no `docker` on the remote) is one `UserError`
 * (`docker_ssh`, exit 2) from {@link sshFailure}.
 *
 * @example
 * ```ts
 * import { sshDialArgs } from "./ssh_dial.ts";
 * const args = sshDialArgs({ kind: "ssh", user: "ops", host: "build1", port: 22, configFile: null });
 * console.assert(args.at(-3) === "docker" && args.includes("BatchMode=yes"));
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { describeEndpoint, type SshDockerEndpoint } from "./docker_endpoint.ts";

/** A byte connection to the daemon (the subset of `Deno.Conn` zu uses). */
export interface DockerConn {
  /** Reads into `p`; null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; the count written. */
  write(p: Uint8Array): Promise<number>;
  /** Ends the sending side (the answer still comes through {@link DockerConn.read}). */
  closeWrite(): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/** The exits of ssh processes asked to end (`close()`), not yet reaped. */
const EXITING = new Set<Promise<void>>();

/** Resolves once every ssh process a connection's `close()` ended has exited and been reaped. */
export async function sshExited(): Promise<void> {
  while (EXITING.size > 0) await Promise.all([...EXITING]);
}

/** The `ssh` binary zu runs (looked up on PATH; `--allow-run=ssh`). */
export const SSH_BINARY = "ssh";

/** Seconds ssh waits for the TCP connection to the SSH server. */
const CONNECT_TIMEOUT_S = 10;

/** The `ssh` arguments that open `docker system dial-stdio` on `endpoint`'s host. */
export function sshDialArgs(endpoint: SshDockerEndpoint): string[] {
  const args: string[] = [];
  if (endpoint.configFile) args.push("-F", endpoint.configFile);
  args.push(
    "-T",
    "-e",
    "none",
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${CONNECT_TIMEOUT_S}`,
    "-p",
    String(endpoint.port),
  );
  if (endpoint.user) args.push("-l", endpoint.user);
  args.push("--", endpoint.host, "docker", "system", "dial-stdio");
  return args;
}

const WHY: [RegExp, string][] = [
  [
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key .*(mismatch|changed)|No .*host key is known/i,
    "the SSH server's host key is not the one in known_hosts (or is unknown); check you are reaching the right host, then add its key to ~/.ssh/known_hosts (ssh-keyscan -p PORT HOST, compared against the host's own fingerprint); zu never skips the check",
  ],
  [
    /Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i,
    "the SSH login was refused; load the key into ssh-agent or name it with IdentityFile in ~/.ssh/config (zu runs ssh without a terminal, so it cannot ask for a passphrase or password)",
  ],
  [
    /docker: (command )?not found|docker: No such file|command not found|exec: docker|docker.*not found/i,
    'the remote host has no "docker" command on the PATH of an SSH login; install the docker CLI there (Debian "docker.io") or log in as a user whose PATH has it',
  ],
  [
    /Connection refused|Connection timed out|timed out|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Connection closed by|kex_exchange_identification/i,
    "no SSH server answers there; check the host and port in DOCKER_HOST and that sshd runs",
  ],
  [
    /Cannot connect to the Docker daemon|permission denied while trying to connect|docker\.sock/i,
    "the remote docker CLI cannot reach its daemon; start dockerd there, or log in as a user in the remote 'docker' group",
  ],
];

/** The one-line `UserError` (`docker_ssh`) for an `ssh` that failed with `stderr` and `code`. */
export function sshFailure(endpoint: SshDockerEndpoint, stderr: string, code: number): UserError {
  const text = stderr.trim();
  const why = WHY.find(([re]) => re.test(text))?.[1] ??
    (code === 127 ? WHY[2]![1] : `ssh exited with ${code}`);
  const said = text.split("\n").map((l) => l.trim()).filter((l) => l && !/^@+$/.test(l)).at(-1);
  return new UserError(
    "docker_ssh",
    `Cannot reach the Docker daemon at ${describeEndpoint(endpoint)} through ssh: ${why}${
      said ? ` (ssh said: ${said.slice(0, 200)})` : ""
    }`,
  );
}

async function writeAll(w: WritableStreamDefaultWriter<Uint8Array>, p: Uint8Array) {
  await w.ready;
  await w.write(p.slice());
}

/**
 * Opens one connection to the daemon behind `endpoint`: spawns `ssh ... docker system
 * dial-stdio`. The first {@link DockerConn.read} throws {@link sshFailure} when ssh ends with an
 * error before the daemon said anything; {@link DockerConn.close} kills the process.
 */
export function dialSsh(endpoint: SshDockerEndpoint): Promise<DockerConn> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(SSH_BINARY, {
      args: sshDialArgs(endpoint),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return Promise.reject(
        new UserError(
          "docker_ssh",
          `Cannot reach the Docker daemon at ${
            describeEndpoint(endpoint)
          }: no "ssh" on this host's PATH; install it (Debian "openssh-client")`,
          { cause: error },
        ),
      );
    }
    if (error instanceof Deno.errors.NotCapable) {
      return Promise.reject(
        new UserError(
          "docker_ssh",
          `Cannot reach the Docker daemon at ${
            describeEndpoint(endpoint)
          }: this process may not run "ssh"; grant --allow-run=ssh`,
          { cause: error },
        ),
      );
    }
    return Promise.reject(error);
  }
  let stderr = "";
  const errDone = (async () => {
    const d = new TextDecoder();
    for await (const b of child.stderr) {
      stderr = (stderr + d.decode(b, { stream: true })).slice(-4096);
    }
  })().catch(() => {});
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  let pending: Uint8Array | null = null;
  let gotBytes = false;
  let closed = false;
  /**
   * Throws ssh's own failure when it exited unsuccessfully by itself (refused, host key, login)
   * before the daemon said anything. Killed by a signal, it is a dropped connection instead.
   */
  const failedBeforeAnswer = async () => {
    if (gotBytes || closed) return;
    const status = await child.status;
    await errDone;
    if (!status.success && !status.signal) throw sshFailure(endpoint, stderr, status.code);
  };
  const conn: DockerConn = {
    async read(p) {
      if (!pending) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done || !r.value) {
          await failedBeforeAnswer();
          return null;
        }
        gotBytes = true;
        pending = r.value;
      }
      const n = Math.min(p.length, pending.length);
      p.set(pending.subarray(0, n));
      pending = n < pending.length ? pending.subarray(n) : null;
      return n;
    },
    async write(p) {
      try {
        await writeAll(writer, p);
      } catch (error) {
        // ssh may exit (refused, host key, login) before the request is written: its own
        // words say why, not the broken pipe.
        await failedBeforeAnswer();
        throw error;
      }
      return p.length;
    },
    async closeWrite() {
      await writer.close().catch(() => {});
    },
    close() {
      if (closed) return;
      closed = true;
      writer.close().catch(() => {});
      reader.cancel().catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // exited already
      }
      const exit = child.status.then(() => {}, () => {});
      EXITING.add(exit);
      exit.finally(() => EXITING.delete(exit));
    },
  };
  return Promise.resolve(conn);
}
