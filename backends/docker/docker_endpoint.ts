/**
 * The one rule for where the Docker daemon is: `DOCKER_HOST` (`unix://`, `tcp://host:port`,
 * `ssh://user@host[:port]`), `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` and `DOCKER_CONTEXT` read
 * into a {@link DockerEndpoint}. Every part of zu that talks to Docker (the backend, image
 * builds, the contained launcher, preflights, host tools, the reaper, `zu doctor`,
 * `zu sandbox`) gets its endpoint from {@link parseDockerEndpoint}; a bad value is one
 * `UserError` (`docker_endpoint`, exit 2) naming the variable and what is wrong.
 *
 * Rules (docs/backends_remote.md):
 * - unset or empty `DOCKER_HOST`: `unix:///var/run/docker.sock`;
 * - `tcp://host[:port]`: TLS with verification when `DOCKER_TLS_VERIFY=1` (port 2376 by default;
 *   `ca.pem`, `cert.pem`, `key.pem` from `DOCKER_CERT_PATH`, default `~/.docker`), plain HTTP
 *   otherwise (port 2375), which is allowed only on a loopback address unless
 *   `ZU_DOCKER_INSECURE_TCP=1` (anyone on the path could run containers as root);
 * - `ssh://[user@]host[:port]`: each connection runs the host's `ssh` (port 22 by default) with
 *   `docker system dial-stdio` on the remote (`ssh_dial.ts`); `ZU_DOCKER_SSH_CONFIG` names an
 *   ssh config file to use instead of `~/.ssh/config` (`ssh -F`);
 * - `npipe://`, `fd://` and anything else: refused;
 * - `DOCKER_CONTEXT` other than `default`: refused (zu reads `DOCKER_HOST` only).
 *
 * @example
 * ```ts
 * import { parseDockerEndpoint } from "./docker_endpoint.ts";
 * const env: Record<string, string> = {
 *   DOCKER_HOST: "tcp://10.0.0.5:2376",
 *   DOCKER_TLS_VERIFY: "1",
 *   DOCKER_CERT_PATH: "/etc/zu/docker",
 * };
 * const e = parseDockerEndpoint((name) => env[name]);
 * console.assert(e.kind === "tcp" && e.tls?.caPath === "/etc/zu/docker/ca.pem");
 * ```
 * @module
 */
import { maskUrlPassword } from "../../core/mask_url.ts";
import { UserError } from "../../core/errors.ts";
import { safeEnv } from "../../core/env.ts";

/** The daemon's default unix socket. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** Where TLS material for a `tcp://` endpoint is read from. */
export interface DockerTlsFiles {
  /** CA bundle the daemon's certificate must chain to (`ca.pem`). */
  caPath: string;
  /** Client certificate (`cert.pem`). */
  certPath: string;
  /** Client key (`key.pem`). */
  keyPath: string;
}

/** A daemon on a unix socket on this host. */
export interface UnixDockerEndpoint {
  /** Kind. */
  kind: "unix";
  /** Socket path. */
  socketPath: string;
}

/** A daemon over TCP, with TLS (verified both ways) or, on loopback or by opt-in, plain HTTP. */
export interface TcpDockerEndpoint {
  /** Kind. */
  kind: "tcp";
  /** Host name or IP (IPv6 without brackets). */
  host: string;
  /** Port. */
  port: number;
  /** TLS files; null for plain HTTP. */
  tls: DockerTlsFiles | null;
}

/** A daemon reached through SSH (`ssh ... docker system dial-stdio`, see `ssh_dial.ts`). */
export interface SshDockerEndpoint {
  /** Kind. */
  kind: "ssh";
  /** Login user, when given. */
  user: string | null;
  /** Host. */
  host: string;
  /** Port (default 22). */
  port: number;
  /** ssh config file (`ZU_DOCKER_SSH_CONFIG`, passed as `ssh -F`); null: ssh's own default. */
  configFile: string | null;
}

/** Where the Docker daemon is. */
export type DockerEndpoint = UnixDockerEndpoint | TcpDockerEndpoint | SshDockerEndpoint;

/** Reads one environment variable. */
export type EnvReader = (name: string) => string | undefined;

function bad(variable: string, value: string, what: string): UserError {
  // A value may carry a password (ssh://user:pw@host): never echo it.
  return new UserError(
    "docker_endpoint",
    `Invalid ${variable}="${maskUrlPassword(value)}": ${what}`,
  );
}

const LOOPBACK_NAMES = new Set(["localhost", "::1", "0:0:0:0:0:0:0:1"]);

/** True when `host` is a loopback name or address (`localhost`, `127.0.0.0/8`, `::1`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function homeDocker(env: EnvReader): string {
  const home = env("HOME");
  if (!home) {
    throw bad(
      "DOCKER_CERT_PATH",
      "",
      "it is unset and so is HOME; set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem",
    );
  }
  return `${home.replace(/\/$/, "")}/.docker`;
}

function tlsVerify(env: EnvReader): boolean {
  const raw = env("DOCKER_TLS_VERIFY") ?? "";
  const v = raw.trim().toLowerCase();
  if (v === "") return false;
  if (v === "1" || v === "true") return true;
  throw bad("DOCKER_TLS_VERIFY", raw, 'use "1" to verify the daemon with TLS, or unset it');
}

function parsePort(variable: string, value: string, text: string, fallback: number): number {
  if (text === "") return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw bad(variable, value, `port "${text}" is not a number from 1 to 65535`);
  }
  return port;
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw bad(
      "DOCKER_HOST",
      value,
      "not a URL; use unix:///path, tcp://host:port or ssh://user@host",
    );
  }
}

function noPath(url: URL, value: string): void {
  if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
    throw bad(
      "DOCKER_HOST",
      value,
      "a tcp:// or ssh:// address takes no path; use scheme://host:port",
    );
  }
}

function parseTcp(value: string, env: EnvReader): TcpDockerEndpoint {
  const url = parseUrl(value);
  noPath(url, value);
  if (url.username || url.password) {
    throw bad(
      "DOCKER_HOST",
      value,
      "tcp:// takes no user; authenticate with DOCKER_TLS_VERIFY=1 and client certificates",
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw bad("DOCKER_HOST", value, "no host; use tcp://host:port");
  const verify = tlsVerify(env);
  const port = parsePort("DOCKER_HOST", value, url.port, verify ? 2376 : 2375);
  if (!verify) {
    const insecure = env("ZU_DOCKER_INSECURE_TCP") === "1";
    if (!isLoopbackHost(host) && !insecure) {
      throw bad(
        "DOCKER_HOST",
        value,
        "plain TCP to a non-loopback daemon lets anyone on the path run containers as root; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), or ZU_DOCKER_INSECURE_TCP=1 to accept the risk",
      );
    }
    return { kind: "tcp", host, port, tls: null };
  }
  const rawDir = env("DOCKER_CERT_PATH");
  const dir = (rawDir === undefined || rawDir === "" ? homeDocker(env) : rawDir).replace(/\/$/, "");
  return {
    kind: "tcp",
    host,
    port,
    tls: { caPath: `${dir}/ca.pem`, certPath: `${dir}/cert.pem`, keyPath: `${dir}/key.pem` },
  };
}

function sshConfigFile(env: EnvReader): string | null {
  const raw = env("ZU_DOCKER_SSH_CONFIG") ?? "";
  if (raw === "") return null;
  if (!raw.startsWith("/")) {
    throw bad("ZU_DOCKER_SSH_CONFIG", raw, "use an absolute path to an ssh config file");
  }
  return raw;
}

function parseSsh(value: string, env: EnvReader): SshDockerEndpoint {
  const url = parseUrl(value);
  noPath(url, value);
  if (url.password) {
    throw bad("DOCKER_HOST", value, "ssh:// takes no password; use an SSH key or agent");
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw bad("DOCKER_HOST", value, "no host; use ssh://user@host[:port]");
  return {
    kind: "ssh",
    user: url.username ? decodeURIComponent(url.username) : null,
    host,
    port: parsePort("DOCKER_HOST", value, url.port, 22),
    configFile: sshConfigFile(env),
  };
}

/**
 * The daemon endpoint the environment names (see the module doc for the rules); a
 * `UserError` (`docker_endpoint`) naming the variable when a value is wrong.
 */
export function parseDockerEndpoint(env: EnvReader = safeEnv): DockerEndpoint {
  const context = env("DOCKER_CONTEXT");
  if (context && context !== "default" && !env("DOCKER_HOST")) {
    throw bad(
      "DOCKER_CONTEXT",
      context,
      `zu does not read Docker contexts; export the context's endpoint instead (DOCKER_HOST=$(docker context inspect ${context} --format '{{.Endpoints.docker.Host}}'), plus DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS)`,
    );
  }
  const value = (env("DOCKER_HOST") ?? "").trim();
  if (value === "") return { kind: "unix", socketPath: DEFAULT_DOCKER_SOCKET };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  switch (scheme) {
    case "unix": {
      const path = value.slice("unix://".length);
      if (!path.startsWith("/")) {
        throw bad(
          "DOCKER_HOST",
          value,
          "a unix socket needs an absolute path (unix:///path/to/docker.sock)",
        );
      }
      return { kind: "unix", socketPath: path };
    }
    case "tcp":
      return parseTcp(value, env);
    case "ssh":
      return parseSsh(value, env);
    case "npipe":
      throw bad("DOCKER_HOST", value, "Windows named pipes are not supported; use tcp:// with TLS");
    default:
      throw bad(
        "DOCKER_HOST",
        value,
        "unsupported scheme; use unix:///path, tcp://host:port (with DOCKER_TLS_VERIFY=1) or ssh://user@host",
      );
  }
}

/** One line naming the endpoint: `unix:///var/run/docker.sock`, `tcp://h:2376 (TLS)`. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  switch (endpoint.kind) {
    case "unix":
      return `unix://${endpoint.socketPath}`;
    case "tcp": {
      const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
      return `tcp://${host}:${endpoint.port} (${endpoint.tls ? "TLS, verified" : "plain, no TLS"})`;
    }
    case "ssh":
      return `ssh://${endpoint.user ? `${endpoint.user}@` : ""}${endpoint.host}:${endpoint.port}`;
  }
}

/**
 * Whether host paths can be bind-mounted into this daemon's containers: only a unix socket on
 * this host counts (a `tcp://` daemon, even on loopback, may be a tunnel to another machine).
 */
export function endpointIsLocal(endpoint: DockerEndpoint): boolean {
  return endpoint.kind === "unix";
}

/** The Deno permission grants a process needs to reach `endpoint`. */
export interface EndpointGrants {
  /** `--allow-net` entries (`unix:/path` or `host:port`). */
  net: string[];
  /** `--allow-read` entries (the socket, or the TLS files). */
  read: string[];
  /** `--allow-write` entries (the socket). */
  write: string[];
  /** `--allow-run` entries (`ssh` for `ssh://`). */
  run: string[];
}

/**
 * What `--allow-net`/`--allow-read`/`--allow-write` must grant to talk to `endpoint`: the
 * socket for `unix://`, `host:port` and the three TLS files for `tcp://`, and for `ssh://` only
 * `--allow-run=ssh` (ssh itself reads the keys, the config and known_hosts; it runs outside
 * Deno's permissions, as every `--allow-run` child does).
 *
 * @example
 * ```ts
 * import { endpointGrants } from "./docker_endpoint.ts";
 * const g = endpointGrants({ kind: "tcp", host: "127.0.0.1", port: 2376, tls: null });
 * console.assert(g.net[0] === "127.0.0.1:2376" && g.read.length === 0);
 * ```
 */
export function endpointGrants(endpoint: DockerEndpoint): EndpointGrants {
  switch (endpoint.kind) {
    case "unix":
      return {
        net: [`unix:${endpoint.socketPath}`],
        read: [endpoint.socketPath],
        write: [endpoint.socketPath],
        run: [],
      };
    case "tcp": {
      const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
      const t = endpoint.tls;
      return {
        net: [`${host}:${endpoint.port}`],
        read: t ? [t.caPath, t.certPath, t.keyPath] : [],
        write: [],
        run: [],
      };
    }
    case "ssh":
      return { net: [], read: [], write: [], run: ["ssh"] };
  }
}

/**
 * `--allow-net=...`, `--allow-read=...`, `--allow-write=...` and `--allow-run=...` flags for
 * `endpoint` (each only when it grants something: an empty `--allow-net=` would grant all).
 */
export function endpointPermissionFlags(endpoint: DockerEndpoint): string[] {
  const g = endpointGrants(endpoint);
  const flags: string[] = [];
  if (g.net.length) flags.push(`--allow-net=${g.net.join(",")}`);
  if (g.read.length) flags.push(`--allow-read=${g.read.join(",")}`);
  if (g.write.length) flags.push(`--allow-write=${g.write.join(",")}`);
  if (g.run.length) flags.push(`--allow-run=${g.run.join(",")}`);
  return flags;
}
