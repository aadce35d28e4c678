/**
 * The one opener of Docker clients: a dockerode client for a {@link DockerEndpoint}
 * ({@link openDockerEndpoint}), and a raw connection for the CLI's small HTTP/1.0 probes
 * ({@link dialDockerEndpoint}). TLS files are read here, once; a missing or unreadable file is a
 * `UserError` (`docker_endpoint`) naming `DOCKER_CERT_PATH`. dockerode loads on first use.
 *
 * @example
 * ```ts ignore
 * import { parseDockerEndpoint } from "./docker_endpoint.ts";
 * import { openDockerEndpoint } from "./open_docker_endpoint.ts";
 * const docker = await openDockerEndpoint(parseDockerEndpoint());
 * await docker.ping();
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import { UserError } from "../../core/errors.ts";
import {
  type DockerEndpoint,
  type DockerTlsFiles,
  parseDockerEndpoint,
} from "./docker_endpoint.ts";
import { dialSsh, type DockerConn } from "./ssh_dial.ts";
import { type SpareDialer, spareDialer } from "./spare_dialer.ts";

/** The PEM text of a TLS endpoint's three files. */
export interface DockerTlsMaterial {
  /** CA bundle. */
  ca: string;
  /** Client certificate. */
  cert: string;
  /** Client key. */
  key: string;
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "it does not exist"
      : error instanceof Deno.errors.NotCapable
      ? "this process may not read it (grant --allow-read for it)"
      : (error instanceof Error ? error.message : String(error));
    throw new UserError(
      "docker_endpoint",
      `Cannot read the Docker TLS ${what} "${path}" (DOCKER_CERT_PATH): ${why}; put ca.pem, cert.pem and key.pem there or point DOCKER_CERT_PATH at the directory holding them`,
      { cause: error },
    );
  }
}

/** Reads `ca.pem`, `cert.pem` and `key.pem`; a one-line `UserError` when one cannot be read. */
export async function readTlsMaterial(files: DockerTlsFiles): Promise<DockerTlsMaterial> {
  return {
    ca: await readPem(files.caPath, "CA certificate"),
    cert: await readPem(files.certPath, "client certificate"),
    key: await readPem(files.keyPath, "client key"),
  };
}

/** How to open a raw connection to the daemon a dockerode client talks to (see {@link modemDialer}). */
export type DockerDialer = () => Promise<DockerConn>;

const DIALERS = new WeakMap<object, DockerDialer>();
const SPARES = new WeakMap<object, SpareDialer<DockerConn>>();

/**
 * The raw-connection dialler of a dockerode client's modem (`container.modem`) when it was opened
 * on an `ssh://` endpoint, else null (a unix-socket modem has `socketPath` instead).
 */
export function modemDialer(modem: unknown): DockerDialer | null {
  return typeof modem === "object" && modem !== null ? DIALERS.get(modem) ?? null : null;
}

/**
 * Closes the idle connections a dockerode client keeps alive (an `ssh://` client's pooled `ssh`
 * processes and its spare, which otherwise close themselves after 1 s idle); calls in flight are untouched and
 * later calls open new ones. A no-op for a unix-socket or TCP client.
 */
export function releaseIdleConnections(docker: Dockerode): void {
  SPARES.get(docker)?.release();
  const agent = (docker.modem as { agent?: { freeSockets?: Record<string, unknown> } }).agent;
  for (const list of Object.values(agent?.freeSockets ?? {})) {
    for (const socket of (list ?? []) as { destroy(): void }[]) socket.destroy();
  }
}

/**
 * A dockerode client on `endpoint` (default: the environment's, {@link parseDockerEndpoint}).
 * `tcp://` with TLS verifies the daemon against `ca.pem` (name and chain) and presents
 * `cert.pem`/`key.pem`; `ssh://` runs one `ssh ... docker system dial-stdio` per connection
 * (`ssh_dial.ts`).
 */
export async function openDockerEndpoint(
  endpoint: DockerEndpoint = parseDockerEndpoint(),
): Promise<Dockerode> {
  const mod = await import("dockerode");
  const Docker = mod.default;
  if (endpoint.kind === "ssh") {
    const { CONN_IDLE_MS, connHttpAgent } = await import("./conn_agent.ts");
    // One ssh login kept ready: a hijacked exec attach needs a connection of its own.
    const spare = spareDialer(() => dialSsh(endpoint), CONN_IDLE_MS);
    const dial = () => spare.take();
    // The host name is never resolved: every connection is an ssh process (conn_agent.ts).
    const docker = new Docker(
      { protocol: "http", host: "docker", port: 80, agent: connHttpAgent(dial) } as never,
    );
    DIALERS.set(docker.modem, dial);
    SPARES.set(docker, spare);
    return docker;
  }
  if (endpoint.kind === "unix") return new Docker({ socketPath: endpoint.socketPath });
  if (endpoint.tls === null) {
    return new Docker({ host: endpoint.host, port: endpoint.port, protocol: "http" });
  }
  const pem = await readTlsMaterial(endpoint.tls);
  return new Docker({ host: endpoint.host, port: endpoint.port, protocol: "https", ...pem });
}

/**
 * A raw connection to the daemon (unix socket, TCP, TLS with the client certificate, or an ssh
 * process), for the CLI's HTTP/1.0 probes. Throws what `Deno.connect`/`connectTls` throw;
 * `UserError` for unreadable TLS files and (at the first read) for ssh failures (`docker_ssh`).
 */
export async function dialDockerEndpoint(endpoint: DockerEndpoint): Promise<DockerConn> {
  switch (endpoint.kind) {
    case "unix":
      return await Deno.connect({ transport: "unix", path: endpoint.socketPath });
    case "ssh":
      return await dialSsh(endpoint);
    case "tcp": {
      if (endpoint.tls === null) {
        return await Deno.connect({ hostname: endpoint.host, port: endpoint.port });
      }
      const pem = await readTlsMaterial(endpoint.tls);
      const conn = await Deno.connectTls({
        hostname: endpoint.host,
        port: endpoint.port,
        caCerts: [pem.ca],
        cert: pem.cert,
        key: pem.key,
      });
      try {
        await conn.handshake();
      } catch (error) {
        try {
          conn.close();
        } catch {
          // closed
        }
        throw error;
      }
      return conn;
    }
  }
}
