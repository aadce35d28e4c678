/**
 * `attachExecSession`: starts `zu-session` in a running sandbox with one attached `docker exec`
 * (as the sandbox user, never privileged, stdin attached, no TTY) and returns an `ExecSession`
 * speaking its frames. Nothing listens in the sandbox. The agent's stderr is kept (last 2 KiB)
 * for the `SessionLost` message. Images that ship the agent carry the label
 * {@link SESSION_AGENT_LABEL} naming its path.
 *
 * @example
 * ```ts ignore
 * import { attachExecSession } from "./exec_session.ts";
 * await using session = await attachExecSession(docker.getContainer(id), { sandboxId: id });
 * const r = await session.run({ argv: ["deno", "--version"], timeoutMs: 5000 });
 * console.log(r.exitCode, r.stdout);
 * ```
 * @module
 */
import type { DockerContainer } from "./docker_client.ts";
import type { ExecSession } from "../../core/types.ts";
import { FrameDemuxer } from "./exec_stream.ts";
import type { Duplex } from "node:stream";
import { createSandboxExec, startSandboxExec } from "./sandbox_exec_start.ts";
import { SessionClient, SessionLost, type SessionTransport } from "./session_client.ts";
import { attachExecConn, type ExecConn } from "./exec_attach_conn.ts";
import { modemDialer } from "./open_docker_endpoint.ts";
import { SESSION_AGENT_PATH } from "./session_agent/agent_path.ts";

export { SESSION_AGENT_LABEL, SESSION_AGENT_PATH } from "./session_agent/agent_path.ts";

/**
 * The command that starts the agent: no type-check, no config, no lock file, no network, and
 * only the permissions it needs (run commands, read and write files as the sandbox user).
 */
export function sessionAgentCommand(agentPath: string = SESSION_AGENT_PATH): string[] {
  return [
    "/usr/local/bin/deno",
    "run",
    "--quiet",
    "--no-check",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-prompt",
    "--allow-run",
    "--allow-read",
    "--allow-write",
    agentPath,
  ];
}

/** Options of {@linkcode attachExecSession}. */
export interface AttachExecSessionOptions {
  /** The sandbox id (for messages). Default: the container id. */
  sandboxId?: string;
  /** The agent command. Default {@link sessionAgentCommand}(). */
  command?: string[];
  /** Wait for the agent's hello. Default 20 000 ms. */
  helloTimeoutMs?: number;
  /**
   * The pipe: `socket`, a raw connection to the daemon's unix socket (when the client has a
   * socket path), or `dockerode`, its hijacked stream. Default `socket`.
   */
  transport?: "socket" | "dockerode";
  /** Told once when the session is lost (not when closed). */
  onLost?: (why: string) => void;
}

/** Starts the agent in `container` and returns the session once the agent said hello. */
export async function attachExecSession(
  container: DockerContainer,
  options: AttachExecSessionOptions = {},
): Promise<ExecSession & { readonly agentPid: number }> {
  const sandboxId = options.sandboxId ?? container.id;
  const command = options.command ?? sessionAgentCommand();
  let stderr = "";
  const demuxer = (onData: (b: Uint8Array) => void) =>
    new FrameDemuxer((s, p) => {
      if (s === 2) stderr = (stderr + new TextDecoder().decode(p)).slice(-2048);
      else onData(p);
    });
  const lost = (what: string) =>
    `the agent's ${what}${stderr.trim() ? ` (${stderr.trim().slice(-500)})` : ""}`;
  const modem = (container as { modem?: { socketPath?: unknown } }).modem;
  const daemon = typeof modem?.socketPath === "string" ? modem.socketPath : modemDialer(modem);
  const transport: SessionTransport = daemon !== null && options.transport !== "dockerode"
    ? connTransport(
      await attachExecConn(
        daemon,
        (await createSandboxExec(container, command, { stdin: true })).id,
      ),
      demuxer,
      lost,
    )
    : streamTransport(
      (await startSandboxExec(container, command, { stdin: true })).stream,
      demuxer,
      lost,
    );
  const client = new SessionClient(sandboxId, transport, options.onLost);
  try {
    const agentPid = await client.ready(options.helloTimeoutMs ?? 20_000);
    return Object.assign(client, { agentPid });
  } catch (error) {
    transport.destroy();
    if (error instanceof SessionLost) throw error;
    throw new SessionLost(sandboxId, `cannot start the agent: ${error}`, { cause: error });
  }
}

type Demuxer = (onData: (b: Uint8Array) => void) => FrameDemuxer;

/** The session's pipe on a raw daemon connection (`exec_attach_conn.ts`). */
function connTransport(
  conn: ExecConn,
  demuxer: Demuxer,
  lost: (what: string) => string,
): SessionTransport {
  return {
    write: (bytes) => {
      conn.write(bytes).catch(() => conn.close());
    },
    destroy: () => conn.close(),
    listen: (onData, onEnd) => {
      const demux = demuxer(onData);
      (async () => {
        for await (const chunk of conn.chunks()) demux.push(chunk);
        onEnd(lost("stream ended"));
      })().catch((e) => onEnd(lost(`stream failed: ${e instanceof Error ? e.message : e}`)));
    },
  };
}

/** The session's pipe on dockerode's hijacked stream. */
function streamTransport(
  stream: Duplex,
  demuxer: Demuxer,
  lost: (what: string) => string,
): SessionTransport {
  return {
    write: (bytes) => {
      stream.write(bytes);
    },
    destroy: () => {
      stream.end();
      stream.destroy();
    },
    listen: (onData, onEnd) => {
      const demux = demuxer(onData);
      stream.on("data", (chunk: Uint8Array) => {
        try {
          demux.push(chunk);
        } catch (error) {
          onEnd(`bad exec stream (${error})`);
        }
      });
      stream.on("end", () => onEnd(lost("stream ended")));
      stream.on("close", () => onEnd(lost("stream closed")));
      stream.on("error", (e: Error) => onEnd(lost(`stream failed: ${e.message}`)));
    },
  };
}
