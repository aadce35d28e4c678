/**
 * The host end of the clearance wire: a unix socket server that answers each request frame
 * (`clearance_wire.ts`) with the gate's answer, filing every request under the run id the HOST
 * names (`runId()`), never one taken from the frame. A frame that breaks the protocol tears its
 * link down, and every request still held on that link is given up (the desk answers
 * `clearance_aborted`; the sidecar, seeing the link die, denies them). Closing the server tears
 * every link down the same way.
 *
 * @example
 * ```ts ignore
 * import { serveClearanceSocket } from "./clearance_socket.ts";
 * const server = await serveClearanceSocket({ path: `${dir}/clearance.sock`, gate: desk, runId: () => "run-1" });
 * await server.close();
 * ```
 * @module
 */
import type { ClearanceGate } from "./clearance_answer.ts";
import {
  encodeFrame,
  FrameReader,
  parseWireRequest,
  type WireAnswer,
  wireAnswerOf,
} from "./clearance_wire.ts";

/** Requests one link may have in flight; above, the request is denied at once. */
export const MAX_IN_FLIGHT_PER_LINK = 256;

/** Options of {@link serveClearanceSocket}. */
export interface ClearanceSocketOptions {
  /** The socket file to create (must not exist). */
  path: string;
  /** What answers (the run's desk gate). */
  gate: ClearanceGate;
  /** The run every request is filed under (read at each request). */
  runId: () => string;
  /** Each link torn down for a protocol error (for the log). */
  onViolation?: (message: string) => void;
}

/** A running clearance socket. */
export interface ClearanceSocket extends AsyncDisposable {
  /** The socket path. */
  readonly path: string;
  /** Links open now. */
  links(): number;
  /** Stops listening and tears every link down (held requests are given up). */
  close(): Promise<void>;
}

/** Serves the clearance wire on a unix socket. */
export function serveClearanceSocket(options: ClearanceSocketOptions): Promise<ClearanceSocket> {
  const listener = Deno.listen({ transport: "unix", path: options.path });
  const links = new Set<{ conn: Deno.Conn; abort: AbortController }>();
  let closed = false;
  const serveLink = async (conn: Deno.Conn) => {
    const abort = new AbortController();
    const link = { conn, abort };
    links.add(link);
    const tear = () => {
      abort.abort();
      try {
        conn.close();
      } catch {
        // already closed
      }
    };
    const inFlight = new Set<string>();
    let writing: Promise<void> = Promise.resolve();
    const send = (a: WireAnswer) => {
      writing = writing.then(async () => {
        if (abort.signal.aborted) return;
        const bytes = encodeFrame(a);
        for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      }).catch(tear);
    };
    const reader = new FrameReader();
    const buf = new Uint8Array(16 * 1024);
    try {
      while (!abort.signal.aborted) {
        const n = await conn.read(buf);
        if (n === null) break;
        for (const body of reader.push(buf.subarray(0, n))) {
          const req = parseWireRequest(body);
          if (inFlight.has(req.id)) throw new Error(`request id "${req.id}" is already in flight`);
          if (inFlight.size >= MAX_IN_FLIGHT_PER_LINK) {
            send({
              id: req.id,
              decision: "deny",
              reason: "clearance_queue_full",
              message: "too many requests held on this link",
            });
            continue;
          }
          inFlight.add(req.id);
          options.gate.request({
            run_id: options.runId(),
            host: req.host,
            port: req.port,
            scheme: req.scheme,
            ...(req.sni !== undefined ? { sni: req.sni } : {}),
            signal: abort.signal,
          }).then(
            (answer) => send(wireAnswerOf(req.id, answer)),
            () =>
              send({
                id: req.id,
                decision: "deny",
                reason: "clearance_closed",
                message: "the clearance desk failed",
              }),
          ).finally(() => inFlight.delete(req.id));
        }
      }
    } catch (e) {
      if (!abort.signal.aborted && !closed) options.onViolation?.(String((e as Error).message));
    } finally {
      links.delete(link);
      tear();
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) void serveLink(conn);
    } catch {
      // closed
    }
  })();
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      listener.close();
    } catch {
      // already closed
    }
    for (const l of links) {
      l.abort.abort();
      try {
        l.conn.close();
      } catch {
        // already closed
      }
    }
    await accepting;
  };
  return Promise.resolve({
    path: options.path,
    links: () => links.size,
    close,
    [Symbol.asyncDispose]: close,
  });
}
