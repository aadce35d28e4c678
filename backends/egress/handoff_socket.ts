/**
 * The host end of the sidecar's `--forward-connect`: a unix socket on which each connection
 * opens with a proxy request head (`CONNECT api.example.com:443 HTTP/1.1`, or an absolute-form
 * `http://` request on a plain-HTTP binding) that is handed to an {@linkcode EgressHandoff} (the
 * credential interceptor, which holds the secrets in this process). A request the handler does
 * not claim is refused with `403` and `X-Zu-Egress-Refused: not_bound`: the sidecar forwards
 * only bound hosts, so anything else here is a mistake or an attack.
 *
 * @example
 * ```ts ignore
 * import { serveHandoffSocket } from "./handoff_socket.ts";
 * await using gate = serveHandoffSocket({ path: "/run/zu/intercept.sock", handoff: interceptor });
 * ```
 * @module
 */
import { normalizeHost } from "../../core/host_normalize.ts";
import type { EgressHandoff, HandoffResult } from "./handoff.ts";
import { readHead, statusResponse } from "./_http_head.ts";
import { parseTarget, Refusal, STATUS_TEXT } from "./_proxy_request.ts";
import { safeClose, writeAll } from "./_relay.ts";

/** Options of {@linkcode serveHandoffSocket}. */
export interface HandoffSocketOptions {
  /** Unix socket path to listen on (created; its directory should be mode 0700). */
  path: string;
  /** The handler of claimed requests. */
  handoff: EgressHandoff;
  /** Head size limit in bytes. Default 16384. */
  maxHeaderBytes?: number;
  /** One JSON line per connection: `{"event":"handoff.decision",host,port,method,reason,...}`. */
  log?: (line: Record<string, unknown>) => void;
}

/** A running socket. */
export interface HandoffSocket extends AsyncDisposable {
  /** The socket path. */
  path: string;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

/** Starts serving `options.path`. */
export function serveHandoffSocket(options: HandoffSocketOptions): HandoffSocket {
  const listener = Deno.listen({ transport: "unix", path: options.path });
  const log = options.log ?? (() => {});
  const active = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const handle = async (conn: Deno.Conn): Promise<void> => {
    const line: Record<string, unknown> = { event: "handoff.decision" };
    try {
      const read = await readHead(conn, options.maxHeaderBytes ?? 16384);
      if (!read.ok) throw new Refusal(read.failure === "too_large" ? 431 : 400, read.failure);
      const target = parseTarget(read.head);
      const host = normalizeHost(target.host);
      const kind = read.head.method === "CONNECT" ? "connect" : "http";
      Object.assign(line, {
        host: host ?? target.host,
        port: target.port,
        method: read.head.method,
      });
      if (host === null || !options.handoff.claims(host, target.port, kind)) {
        throw new Refusal(403, "not_bound");
      }
      const r: HandoffResult = await options.handoff.serve(conn, {
        kind,
        host,
        port: target.port,
        head: read.head,
        rest: read.rest,
      });
      Object.assign(line, {
        allowed: r.allowed !== false,
        reason: r.reason ?? "handed_off",
        bytes_up: r.up,
        bytes_down: r.down,
        ...(r.detail ? { detail: r.detail } : {}),
      });
    } catch (e) {
      const refusal = e instanceof Refusal
        ? e
        : new Refusal(502, "handoff_error", String((e as Error)?.message ?? e));
      Object.assign(line, { allowed: false, reason: refusal.reason });
      await writeAll(
        conn,
        statusResponse(refusal.status, STATUS_TEXT[refusal.status] ?? "Error", {
          "X-Zu-Egress-Refused": refusal.reason,
        }),
      ).catch(() => {});
    } finally {
      safeClose(conn);
      log(line);
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      active.add(conn);
      const p = handle(conn).finally(() => {
        active.delete(conn);
        handlers.delete(p);
      });
      handlers.add(p);
    }
  })().catch(() => {});
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    safeClose(listener);
    for (const c of active) safeClose(c);
    await loop;
    await Promise.allSettled([...handlers]);
  };
  return { path: options.path, close, [Symbol.asyncDispose]: close };
}
