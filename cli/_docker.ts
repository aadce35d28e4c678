/**
 * The CLI's access to Docker: whether a daemon answers, and the demo's one sandboxed tool call.
 * Heavy modules (dockerode) load only when a daemon answers.
 *
 * @module
 */
import type { CliIo } from "./_io.ts";
import { concatBytes } from "../core/bytes.ts";
import { type RunFailure, UserError } from "../core/errors.ts";
import {
  describeEndpoint,
  type DockerEndpoint,
  parseDockerEndpoint,
} from "../backends/docker/docker_endpoint.ts";
import { dialDockerEndpoint } from "../backends/docker/open_docker_endpoint.ts";
import type { DockerConn } from "../backends/docker/ssh_dial.ts";
import { daemonError } from "../backends/docker/daemon_error.ts";

/** The daemon endpoint `DOCKER_HOST` and friends name (a `UserError` naming a bad variable). */
export function dockerEndpoint(io: Pick<CliIo, "env">): DockerEndpoint {
  return parseDockerEndpoint((name) => io.env(name));
}

/** Where the daemon is, for messages: the socket path, or `tcp://host:port (TLS, verified)`. */
export function dockerWhere(endpoint: DockerEndpoint): string {
  return endpoint.kind === "unix" ? endpoint.socketPath : describeEndpoint(endpoint);
}

/** Why the daemon cannot be used: one line, and the error to throw instead of `docker_unavailable`. */
export interface DockerPingFailure {
  /** One line. */
  why: string;
  /** A sharper error (`docker_endpoint`, `docker_tls`), when there is one. */
  error: UserError | RunFailure | null;
}

function classify(endpoint: DockerEndpoint, err: unknown, prefix: string): DockerPingFailure {
  if (err instanceof UserError) return { why: err.message, error: err };
  const sharp = daemonError(endpoint, err, "reach the Docker daemon");
  if (sharp && sharp.code !== "docker_unavailable") return { why: sharp.message, error: sharp };
  return { why: `${prefix} (${err instanceof Error ? err.message : String(err)})`, error: null };
}

/** The least time a ping through `ssh://` is given. */
const SSH_PING_MS = 10_000;

/** Pings the daemon (`GET /_ping`, bounded by `timeoutMs`): null when it answers, else why not. */
export async function pingDockerFailure(
  io: CliIo,
  timeoutMs = 2000,
): Promise<DockerPingFailure | null> {
  let endpoint: DockerEndpoint;
  try {
    endpoint = dockerEndpoint(io);
  } catch (err) {
    if (err instanceof UserError) return { why: err.message, error: err };
    throw err;
  }
  const path = dockerWhere(endpoint);
  // An ssh login (key exchange, maybe a jump host) takes longer than a socket connect.
  if (endpoint.kind === "ssh") timeoutMs = Math.max(timeoutMs, SSH_PING_MS);
  let conn: DockerConn;
  try {
    conn = await dialDockerEndpoint(endpoint);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound && endpoint.kind === "unix") {
      return { why: `no Docker daemon (no socket at ${path})`, error: null };
    }
    if (err instanceof Deno.errors.NotCapable) {
      return {
        why: endpoint.kind === "unix"
          ? `no permission to reach the Docker socket ${path}`
          : `no permission to reach the Docker daemon at ${path} (grant ${
            endpoint.kind === "ssh" ? "--allow-run=ssh" : "--allow-net"
          } for it)`,
        error: null,
      };
    }
    return classify(endpoint, err, `no Docker daemon at ${path}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const answer = (async () => {
      await conn.write(new TextEncoder().encode("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf);
      return n ? new TextDecoder().decode(buf.subarray(0, n)) : "";
    })();
    const timeout = new Promise<string>((
      resolve,
    ) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const text = await Promise.race([answer, timeout]);
    if (text === "timeout") {
      return {
        why: `the Docker daemon at ${path} did not answer within ${timeoutMs} ms`,
        error: null,
      };
    }
    return /^HTTP\/1\.[01] 200/.test(text) ? null : {
      why: `the Docker daemon at ${path} answered "${text.split("\r\n")[0]}"`,
      error: null,
    };
  } catch (err) {
    return classify(endpoint, err, `the Docker daemon at ${path} failed`);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/**
 * One line describing the endpoint for `zu doctor`: kind, address, TLS on/off, local or remote;
 * null when `DOCKER_HOST` is unusable (the ping says why).
 */
export function endpointDetail(io: Pick<CliIo, "env">): string | null {
  let e: DockerEndpoint;
  try {
    e = dockerEndpoint(io);
  } catch {
    return null;
  }
  if (e.kind === "unix") return `unix socket ${e.socketPath} (local engine)`;
  if (e.kind === "ssh") {
    return `${describeEndpoint(e)} through the host's ssh${
      e.configFile ? ` (config ${e.configFile})` : ""
    } (remote engine: contained runs and browsing tools need a local one)`;
  }
  return `tcp ${e.host}:${e.port}, TLS ${
    e.tls ? "on (verified both ways)" : "off"
  } (remote engine: contained runs and browsing tools need a local one)`;
}

/** Pings the daemon (`GET /_ping`, bounded by `timeoutMs`); returns null when it answers, else why not. */
export async function pingDocker(io: CliIo, timeoutMs = 2000): Promise<string | null> {
  return (await pingDockerFailure(io, timeoutMs))?.why ?? null;
}

/** A small answer from the Docker Engine API. */
export interface DockerAnswer {
  /** HTTP status. */
  status: number;
  /** The body (JSON parsed when it is JSON). */
  body: unknown;
}

/** One `GET` to the Docker Engine API (unix socket, TCP or TLS; HTTP/1.0, bounded by `timeoutMs`). */
export async function dockerGet(io: CliIo, path: string, timeoutMs = 3000): Promise<DockerAnswer> {
  const conn = await dialDockerEndpoint(dockerEndpoint(io));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const work = (async () => {
      await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(16384);
      let total = 0;
      while (total < 4_000_000) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
        total += n;
      }
      return new TextDecoder().decode(concatBytes(chunks, total));
    })();
    const timeout = new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    );
    const text = await Promise.race([work, timeout]);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
    const raw = text.slice(text.indexOf("\r\n\r\n") + 4);
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    return { status, body };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/** Options of a backend or an image build for the CLI: the endpoint `DOCKER_HOST` names. */
export function daemonOptions(io: CliIo): { endpoint: DockerEndpoint } {
  return { endpoint: dockerEndpoint(io) };
}

/** True when the daemon has `image` locally. */
export async function imagePresent(io: CliIo, image: string): Promise<boolean> {
  const a = await dockerGet(io, `/images/${encodeURIComponent(image)}/json`).catch(() => null);
  return a?.status === 200;
}

// Runs inside the container: reads the recorded page on stdin, extracts the heading (a tool
// call on real content), and shows that the sandbox has no network.
const DEMO_TOOL = `
const html = await new Response(Deno.stdin.readable).text();
const pick = (re) => (re.exec(html)?.[1] ?? "").replace(/<[^>]*>/g, "").trim();
const out = { title: pick(/<h1[^>]*>([\\s\\S]*?)<\\/h1>/i) || pick(/<title[^>]*>([\\s\\S]*?)<\\/title>/i), bytes: html.length };
try {
  await fetch("http://1.1.1.1/", { signal: AbortSignal.timeout(2000) });
  out.network = "reachable";
} catch (e) {
  const m = String(e?.cause?.message ?? e?.message ?? e).split("\\n")[0];
  out.network = "none (" + m.slice(m.lastIndexOf(": ") + 2).slice(0, 60) + ")";
}
console.log(JSON.stringify(out));
`;

/** The demo's sandbox step: one tool call in a hardened container, or why it was skipped. */
export async function demoSandboxCall(
  io: CliIo,
  pageHtml: string,
  signal?: AbortSignal,
): Promise<{ ran: boolean; detail: string }> {
  const why = await pingDocker(io);
  if (why) return { ran: false, detail: `skipped (${why})` };
  const { LocalDockerBackend, RUNTIME_IMAGE } = await import("../backends/docker/mod.ts");
  if (!(await imagePresent(io, RUNTIME_IMAGE))) {
    return {
      ran: false,
      detail: `skipped (image ${RUNTIME_IMAGE} is missing; build it with "zu sandbox image build")`,
    };
  }
  await using backend = new LocalDockerBackend(daemonOptions(io));
  const handle = await backend.launch({
    image: RUNTIME_IMAGE,
    runId: `zu-demo-${crypto.randomUUID().slice(0, 8)}`,
  });
  try {
    const r = await backend.execEntrypoint(handle, ["/usr/local/bin/deno", "eval", DEMO_TOOL], {
      stdin: pageHtml,
      timeoutMs: 60_000,
      ...(signal ? { signal } : {}),
    });
    if (r.exitCode !== 0) {
      return {
        ran: false,
        detail: `the sandboxed call failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n")[0]}`,
      };
    }
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as {
      title?: string;
      network?: string;
    };
    return {
      ran: true,
      detail:
        `ran one tool call in ${RUNTIME_IMAGE} (caps dropped, seccomp, read-only root, non-root, no network): heading "${out.title}", network ${out.network}`,
    };
  } finally {
    await backend.destroy(handle);
  }
}
