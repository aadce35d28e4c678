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
  describeEndpoint,
  type DockerEndpoint,
  type DockerTlsFiles,
  parseDockerEndpoint,
  type SshDockerEndpoint,
} from "./docker_endpoint.ts";

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

/** The `UserError` for `ssh://`: not supported, with the forwarding that works instead. */
export function sshUnsupported(endpoint: SshDockerEndpoint): UserError {
  const target = `${endpoint.user ? `${endpoint.user}@` : ""}${endpoint.host}`;
  return new UserError(
    "docker_endpoint",
    `Invalid DOCKER_HOST="${
      describeEndpoint(endpoint)
    }": ssh:// is not supported yet; use tcp:// with DOCKER_TLS_VERIFY=1, or forward the socket yourself (ssh -nNT -p ${endpoint.port} -L /tmp/zu-docker.sock:/var/run/docker.sock ${target}) and set DOCKER_HOST=unix:///tmp/zu-docker.sock`,
  );
}

/**
 * A dockerode client on `endpoint` (default: the environment's, {@link parseDockerEndpoint}).
 * `tcp://` with TLS verifies the daemon against `ca.pem` (name and chain) and presents
 * `cert.pem`/`key.pem`.
 */
export async function openDockerEndpoint(
  endpoint: DockerEndpoint = parseDockerEndpoint(),
): Promise<Dockerode> {
  if (endpoint.kind === "ssh") throw sshUnsupported(endpoint);
  const mod = await import("dockerode");
  const Docker = mod.default;
  if (endpoint.kind === "unix") return new Docker({ socketPath: endpoint.socketPath });
  if (endpoint.tls === null) {
    return new Docker({ host: endpoint.host, port: endpoint.port, protocol: "http" });
  }
  const pem = await readTlsMaterial(endpoint.tls);
  return new Docker({ host: endpoint.host, port: endpoint.port, protocol: "https", ...pem });
}

/**
 * A raw connection to the daemon (unix socket, TCP, or TLS with the client certificate), for
 * the CLI's HTTP/1.0 probes. Throws what `Deno.connect`/`connectTls` throw; `UserError` for
 * `ssh://` and unreadable TLS files.
 */
export async function dialDockerEndpoint(endpoint: DockerEndpoint): Promise<Deno.Conn> {
  switch (endpoint.kind) {
    case "unix":
      return await Deno.connect({ transport: "unix", path: endpoint.socketPath });
    case "ssh":
      throw sshUnsupported(endpoint);
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
