/**
 * `zu serve`'s server: Deno's built-in `Deno.serve` on a loopback TCP address or a unix socket
 * (mode 0600), serving {@link createServeHandler}. Stopping it aborts every run, waits for their
 * logs to close, ends every event stream and then the listener.
 *
 * @example
 * ```ts
 * import { startZuServer } from "./zu_server.ts";
 * await using server = await startZuServer({
 *   listen: { hostname: "127.0.0.1", port: 0 },
 *   token: "t".repeat(32),
 *   launcher: () => Promise.reject(new Error("no runs here")),
 * });
 * const res = await fetch(`${server.url}/v1/health`);
 * console.assert((await res.json()).status === "ok");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { PendingSource } from "../../core/types.ts";
import type { LoopbackAddress } from "./listen_address.ts";
import { RunRegistry, type RunRegistryOptions } from "./run_registry.ts";
import type { RunLauncher } from "./run_registry.ts";
import { createServeHandler } from "./serve_handler.ts";

/** Options of {@link startZuServer}: exactly one of `listen` and `socket`. */
export interface ZuServerOptions extends RunRegistryOptions {
  /** Loopback TCP address (see `parseListen`). */
  listen?: LoopbackAddress;
  /** Unix socket path; created with mode 0600; a stale socket there is replaced. */
  socket?: string;
  /** The bearer token. */
  token: string;
  /** Checks and runs agents (the CLI passes `zu run`'s jailed live run). */
  launcher: RunLauncher;
  /** Pending clearances and approvals. Default: nothing pending. */
  pending?: PendingSource;
  /** Largest request body, bytes. Default 65536. */
  maxBodyBytes?: number;
  /** Frames an SSE reader may have waiting before it is dropped. Default 1000. */
  queueLimit?: number;
  /** Serve the web dashboard at `/`. Default true. */
  dashboard?: boolean;
}

/** A running server. */
export interface ZuServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` for TCP, null for a unix socket. */
  url: string | null;
  /** The unix socket path, or null. */
  socket: string | null;
  /** The port bound (TCP), else null. */
  port: number | null;
  /** Its runs. */
  runs: RunRegistry;
  /** Stops: runs aborted and awaited, streams ended, listener closed. Idempotent. */
  shutdown(): Promise<void>;
  /** Settles when the listener has closed. */
  finished: Promise<void>;
}

function listenFailed(where: string, err: unknown): UserError {
  let why = err instanceof Error ? err.message.split("\n")[0]! : String(err);
  if (err instanceof Deno.errors.AddrInUse) why = "the address is already in use";
  else if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    why = "permission denied";
  } else if (err instanceof Deno.errors.NotFound) why = "the directory does not exist";
  return new UserError("serve_listen_failed", `Cannot listen on "${where}": ${why}`, {
    cause: err,
  });
}

async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return;
  }
  if (!info.isSocket) {
    throw new UserError(
      "serve_listen_failed",
      `Cannot listen on "${path}": something that is not a socket is there`,
    );
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    throw new UserError(
      "serve_listen_failed",
      `Cannot listen on "${path}": another server is listening there`,
    );
  } catch (err) {
    if (err instanceof UserError) throw err;
    await Deno.remove(path); // nobody answers: a leftover of a stopped server
  }
}

/** Starts the server; a bad or busy address is a `UserError` (serve_listen_failed). */
export async function startZuServer(options: ZuServerOptions): Promise<ZuServer> {
  if ((options.listen === undefined) === (options.socket === undefined)) {
    throw new TypeError("Cannot start zu serve: give exactly one of listen and socket");
  }
  const runs = new RunRegistry(options.launcher, options);
  const handler = createServeHandler({
    token: options.token,
    runs,
    ...(options.pending ? { pending: options.pending } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.queueLimit ? { queueLimit: options.queueLimit } : {}),
    checkHost: options.socket === undefined,
    ...(options.dashboard === false ? { dashboard: false } : {}),
  });
  // A bug in a route answers 500 without details (only the CLI prints).
  const onError = (): Response => {
    return new Response('{"error":"internal"}', {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  };
  let server: Deno.HttpServer<Deno.NetAddr> | Deno.HttpServer<Deno.UnixAddr>;
  let url: string | null = null;
  let port: number | null = null;
  if (options.socket !== undefined) {
    const path = options.socket;
    await clearStaleSocket(path);
    try {
      server = Deno.serve({ path, onListen() {}, onError }, handler);
    } catch (err) {
      throw listenFailed(path, err);
    }
    try {
      await Deno.chmod(path, 0o600);
    } catch (err) {
      await server.shutdown();
      throw listenFailed(path, err);
    }
  } else {
    const { hostname, port: wanted } = options.listen!;
    const shown = hostname.includes(":") ? `[${hostname}]:${wanted}` : `${hostname}:${wanted}`;
    let tcp: Deno.HttpServer<Deno.NetAddr>;
    try {
      tcp = Deno.serve({ hostname, port: wanted, onListen() {}, onError }, handler);
    } catch (err) {
      throw listenFailed(shown, err);
    }
    server = tcp;
    port = tcp.addr.port;
    url = hostname.includes(":") ? `http://[${hostname}]:${port}` : `http://${hostname}:${port}`;
  }
  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    stopping ??= (async () => {
      await runs.close();
      await server.shutdown();
      if (options.socket !== undefined) await Deno.remove(options.socket).catch(() => {});
    })();
  return {
    url,
    socket: options.socket ?? null,
    port,
    runs,
    shutdown,
    finished: server.finished,
    [Symbol.asyncDispose]: shutdown,
  };
}
