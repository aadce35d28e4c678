/**
 * `attachExecConn`: starts a created exec with its stdin attached over a plain unix-socket
 * connection to the daemon (`POST /exec/<id>/start` with `Upgrade: tcp`, the same hijack
 * dockerode does) and hands back the raw connection. The exec session uses it for its one
 * long-lived exec: every frame then goes straight through a `Deno.Conn` instead of Node's
 * stream layers (about 0.4 ms less per round trip measured here). Needs the same permissions as
 * dockerode on that socket.
 *
 * @example
 * ```ts ignore
 * import { attachExecConn } from "./exec_attach_conn.ts";
 * const exec = await container.exec({ Cmd: ["cat"], AttachStdin: true, AttachStdout: true });
 * const conn = await attachExecConn("/var/run/docker.sock", exec.id);
 * await conn.write(new TextEncoder().encode("hi"));
 * for await (const chunk of conn.chunks()) console.log(chunk); // Docker's multiplexed frames
 * ```
 * @module
 */

import type { DockerConn } from "./ssh_dial.ts";

/** How long a close waits for queued writes and for the end of the output. */
export const CLOSE_GRACE_MS = 2000;

/** Most bytes of the daemon's answer head read before giving up. */
const MAX_HEAD_BYTES = 64 * 1024;

/** A started exec's attached connection. */
export interface ExecConn {
  /** Writes all of `bytes` to the exec's stdin (writes are queued in order). */
  write(bytes: Uint8Array): Promise<void>;
  /** The exec's multiplexed output, chunk by chunk, until the daemon closes it. */
  chunks(): AsyncIterable<Uint8Array>;
  /**
   * Ends the exec's stdin once the queued writes are done (a half close: its output still comes
   * through {@link ExecConn.chunks}), then closes the connection when the daemon ends the output,
   * or {@link CLOSE_GRACE_MS} later at most. Idempotent.
   */
  close(): void;
}

function indexOfHeadEnd(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Starts exec `execId` attached (see the module doc) on the daemon at `socketPath`, or on a
 * connection `daemon()` opens (an `ssh://` endpoint's, `ssh_dial.ts`); throws when the daemon
 * refuses.
 */
export async function attachExecConn(
  daemon: string | (() => Promise<DockerConn>),
  execId: string,
): Promise<ExecConn> {
  if (!/^[0-9a-f]{1,128}$/i.test(execId)) throw new TypeError(`Invalid exec id "${execId}"`);
  const conn: DockerConn = typeof daemon === "string"
    ? await Deno.connect({ transport: "unix", path: daemon })
    : await daemon();
  let closed = false;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const close = () => {
    clearTimeout(grace);
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // closed already
    }
  };
  let head = new Uint8Array(0);
  let rest: Uint8Array;
  try {
    const body = '{"Detach":false,"Tty":false}';
    const request = `POST /exec/${execId}/start HTTP/1.1\r\nHost: docker\r\n` +
      `Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    await writeAll(conn, new TextEncoder().encode(request));
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const end = indexOfHeadEnd(head);
      if (end >= 0) {
        rest = head.slice(end + 4);
        head = head.subarray(0, end);
        break;
      }
      if (head.length > MAX_HEAD_BYTES) throw new Error("the daemon's answer has no end of head");
      const n = await conn.read(buf);
      if (n === null) throw new Error("the daemon closed the connection");
      const next = new Uint8Array(head.length + n);
      next.set(head);
      next.set(buf.subarray(0, n), head.length);
      head = next;
    }
    const status = new TextDecoder().decode(head).split("\r\n", 1)[0] ?? "";
    if (!/^HTTP\/1\.[01] (101|200) /.test(status)) {
      throw new Error(`the daemon answered "${status}" to the exec start`);
    }
  } catch (error) {
    close();
    throw error;
  }
  let writing: Promise<void> = Promise.resolve();
  let closing = false;
  return {
    write: (bytes) => {
      writing = writing.then(() => closed ? undefined : writeAll(conn, bytes));
      return writing;
    },
    chunks: async function* () {
      try {
        if (rest.length > 0) yield rest;
        const buf = new Uint8Array(64 * 1024);
        for (;;) {
          let n: number | null;
          try {
            n = await conn.read(buf);
          } catch (error) {
            if (closed) return;
            throw error;
          }
          if (n === null) return;
          yield buf.slice(0, n);
        }
      } finally {
        close();
      }
    },
    close: () => {
      if (closing) return;
      closing = true;
      const timer = setTimeout(close, CLOSE_GRACE_MS);
      Deno.unrefTimer(timer);
      grace = timer;
      writing.catch(() => {}).finally(() => {
        if (!closed) conn.closeWrite().catch(close);
      });
    },
  };
}

async function writeAll(conn: DockerConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
