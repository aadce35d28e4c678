/**
 * The CLI's access to Docker: whether a daemon answers, and the demo's one sandboxed tool call.
 * Heavy modules (dockerode) load only when a daemon answers.
 *
 * @module
 */
import type { CliIo } from "./_io.ts";

/** The daemon's unix socket (from `DOCKER_HOST` when it is `unix://`). */
export function dockerSocket(io: CliIo): string {
  const host = io.env("DOCKER_HOST");
  return host?.startsWith("unix://") ? host.slice("unix://".length) : "/var/run/docker.sock";
}

/** Pings the daemon (`GET /_ping`, bounded by `timeoutMs`); returns null when it answers, else why not. */
export async function pingDocker(io: CliIo, timeoutMs = 2000): Promise<string | null> {
  const path = dockerSocket(io);
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return `no Docker daemon (no socket at ${path})`;
    if (err instanceof Deno.errors.NotCapable) return `no permission to reach the Docker socket ${path}`;
    return `no Docker daemon at ${path} (${err instanceof Error ? err.message : String(err)})`;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const answer = (async () => {
      await conn.write(new TextEncoder().encode("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf);
      return n ? new TextDecoder().decode(buf.subarray(0, n)) : "";
    })();
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const text = await Promise.race([answer, timeout]);
    if (text === "timeout") return `the Docker daemon at ${path} did not answer within ${timeoutMs} ms`;
    return /^HTTP\/1\.[01] 200/.test(text) ? null : `the Docker daemon at ${path} answered "${text.split("\r\n")[0]}"`;
  } catch (err) {
    return `the Docker daemon at ${path} failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/** The demo's sandbox step: one tool call in a hardened container, or why it was skipped. */
export async function demoSandboxCall(
  io: CliIo,
  _pageHtml: string,
  _signal?: AbortSignal,
): Promise<{ ran: boolean; detail: string }> {
  const why = await pingDocker(io);
  if (why) return { ran: false, detail: `skipped (${why})` };
  return { ran: false, detail: "skipped (the Docker backend is not available in this build)" };
}
