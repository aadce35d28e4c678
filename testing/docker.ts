/**
 * `dockerTest`: a `Deno.test` that runs only when a Docker daemon answers a ping.
 *
 * Without a daemon the test is registered as ignored and one summary line per process says why;
 * with `ZU_REQUIRE_DOCKER=1` the test runs and fails with that reason instead, so CI cannot pass
 * by skipping. A test that also needs something on the host (a package its image is built from)
 * passes `hostMissing`: the same rule applies, with one summary line per reason.
 *
 * The daemon is found through `DOCKER_HOST` (`unix://` only) or `/var/run/docker.sock`, and pinged
 * once per process (`GET /_ping` over the socket, bounded by a 3 s timeout).
 *
 * @example
 * ```ts ignore
 * import { dockerTest } from "./docker.ts";
 * dockerTest("LocalDockerBackend runs a command", async () => {
 *   // talk to the real daemon here
 * });
 * ```
 * @module
 */
import { concatBytes as concat } from "../core/bytes.ts";

/** Options of {@linkcode dockerTest}. */
export interface DockerTestOptions {
  /** Resource sanitizer. Default `false` (dockerode keeps sockets alive between calls). */
  sanitizeResources?: boolean;
  /** Async-ops sanitizer. Default `false`. */
  sanitizeOps?: boolean;
  /** Exit sanitizer. Default `true`. */
  sanitizeExit?: boolean;
  /** Run only this test. Default `false`. */
  only?: boolean;
  /** Ignore regardless of the daemon. Default `false`. */
  ignore?: boolean;
  /**
   * What this machine lacks for the test besides a daemon, as one line that names the package
   * to install (`"/bin/busybox" is missing (apt-get install busybox-static)`), or `null`/absent
   * when nothing. Skipped (or failed under `ZU_REQUIRE_DOCKER=1`) like a missing daemon.
   */
  hostMissing?: string | null;
}

/** The unix socket path of the daemon (from `DOCKER_HOST` when it is `unix://...`). */
export function dockerSocketPath(): string {
  let host: string | undefined;
  try {
    host = Deno.env.get("DOCKER_HOST");
  } catch {
    host = undefined;
  }
  if (host && host.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

async function readAll(conn: Deno.Conn, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(4096);
  while (total < limit) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
    const text = new TextDecoder().decode(concat(chunks));
    if (/\r\n\r\n/.test(text) && /OK\s*$/.test(text)) break;
  }
  return new TextDecoder().decode(concat(chunks));
}

/** Pings the daemon once: resolves to `null` when it answers, otherwise to the reason. */
async function pingDaemon(socket: string, timeoutMs: number): Promise<string | null> {
  const reason = `no daemon at ${socket}`;
  let conn: Deno.Conn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const attempt = (async () => {
      conn = await Deno.connect({ transport: "unix", path: socket });
      await conn.write(
        new TextEncoder().encode(
          "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n",
        ),
      );
      const text = await readAll(conn, 65536);
      return /^HTTP\/1\.[01] 200/.test(text) ? null : `${reason} (ping did not return 200)`;
    })();
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${reason} (ping timed out)`), timeoutMs);
    });
    return await Promise.race([attempt, timeout]);
  } catch {
    return reason;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }
}

let cached: Promise<string | null> | undefined;

/** Resolves to `null` when the daemon answers, otherwise to why not (cached per process). */
function unavailableReason(): Promise<string | null> {
  cached ??= pingDaemon(dockerSocketPath(), 3000);
  return cached;
}

/**
 * Whether a Docker daemon answers a ping (cached per process).
 *
 * @example
 * ```ts ignore
 * import { dockerAvailable } from "./docker.ts";
 * if (await dockerAvailable()) console.log("docker is up");
 * ```
 */
export async function dockerAvailable(): Promise<boolean> {
  return (await unavailableReason()) === null;
}

function dockerRequired(): boolean {
  try {
    return Deno.env.get("ZU_REQUIRE_DOCKER") === "1";
  } catch {
    return false;
  }
}

// Resolved once at import so tests can be registered (ignored or not) synchronously.
const startupReason: string | null = await unavailableReason();

/**
 * Prints `line` once per process for `key`. `deno test` evaluates each test file in its own
 * isolate, so the mark is kept in the process environment (named with this pid, so a child
 * process that inherits it still prints its own line).
 */
function printOnce(key: string, line: string): void {
  const mark = `ZU_TEST_NOTED_${Deno.pid}_${key.replace(/[^A-Za-z0-9]/g, "_")}`;
  try {
    if (Deno.env.get(mark) === "1") return;
    Deno.env.set(mark, "1");
  } catch {
    // no env access: one line per file instead
  }
  console.error(line);
}

function lineKey(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}

/**
 * Registers a `Deno.test` that needs a Docker daemon.
 *
 * - daemon answers: the test runs;
 * - no daemon, `ZU_REQUIRE_DOCKER` unset: the test is ignored and one line per process says why;
 * - no daemon, `ZU_REQUIRE_DOCKER=1`: the test runs and fails with the reason;
 * - `hostMissing` set: the same, with that reason (one line per reason and process).
 *
 * @example
 * ```ts ignore
 * import { dockerTest } from "./docker.ts";
 * dockerTest("the daemon lists containers", async () => {});
 * ```
 */
export function dockerTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options: DockerTestOptions = {},
): void {
  const required = dockerRequired();
  const reason = startupReason ?? options.hostMissing ?? null;
  const missing = reason !== null;
  if (missing && !required && !options.ignore) {
    printOnce(
      lineKey(reason),
      `docker tests skipped: ${reason}; set ZU_REQUIRE_DOCKER=1 to fail instead`,
    );
  }
  Deno.test({
    name,
    ignore: (options.ignore ?? false) || (missing && !required),
    only: options.only ?? false,
    sanitizeResources: options.sanitizeResources ?? false,
    sanitizeOps: options.sanitizeOps ?? false,
    sanitizeExit: options.sanitizeExit ?? true,
    fn: missing
      ? () => {
        throw new Error(
          startupReason !== null
            ? `Cannot run "${name}": ${reason} and ZU_REQUIRE_DOCKER=1`
            : `Cannot run "${name}": ${reason} (ZU_REQUIRE_DOCKER=1 is set, so this fails instead of skipping)`,
        );
      }
      : fn,
  });
}
