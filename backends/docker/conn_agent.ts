/**
 * `connHttpAgent`: a Node `http.Agent` whose every connection comes from a {@link DockerConn}
 * dialler, so dockerode (plain calls and hijacked exec streams alike) can talk to a daemon over
 * any byte pipe, such as `ssh ... docker system dial-stdio` (`ssh_dial.ts`). An error from the
 * dialler or from a read (a `docker_ssh` `UserError`) reaches dockerode's caller unchanged.
 *
 * @example
 * ```ts ignore
 * import Docker from "dockerode";
 * import { connHttpAgent } from "./conn_agent.ts";
 * import { dialSsh } from "./ssh_dial.ts";
 * const endpoint = { kind: "ssh", user: "ops", host: "build1", port: 22, configFile: null } as const;
 * const agent = connHttpAgent(() => dialSsh(endpoint));
 * await new Docker({ protocol: "http", host: "docker", port: 80, agent } as never).ping();
 * ```
 * @module
 */
import http from "node:http";
import { Duplex } from "node:stream";
import type { DockerConn } from "./ssh_dial.ts";

function connDuplex(dial: () => Promise<DockerConn>): Duplex {
  let conn: DockerConn | null = null;
  const ready = dial().then((c) => (conn = c));
  ready.catch(() => {}); // reported through the stream
  const stream = new Duplex({
    read() {},
    write(chunk: Uint8Array, _encoding, done) {
      ready.then(async (c) => {
        let rest = chunk;
        while (rest.length) rest = rest.subarray(await c.write(rest));
      }).then(() => done(), done);
    },
    final(done) {
      ready.then((c) => c.closeWrite()).then(() => done(), done);
    },
    destroy(error, done) {
      try {
        conn?.close();
      } catch {
        // closed
      }
      done(error);
    },
  });
  ready.then(async (c) => {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) {
        stream.push(null);
        return;
      }
      stream.push(buf.slice(0, n));
    }
  }).catch((error) => stream.destroy(error));
  // What node:http may call on a socket. The agent sets an idle timeout on the free sockets of
  // its keep-alive pool and destroys one on 'timeout'; any traffic restarts the clock.
  let idleMs = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(idle);
    if (idleMs <= 0 || stream.destroyed) return;
    idle = setTimeout(() => stream.emit("timeout"), idleMs);
    Deno.unrefTimer(idle);
  };
  stream.on("data", arm);
  stream.on("close", () => clearTimeout(idle));
  const write = stream.write.bind(stream);
  stream.write = ((...args: Parameters<typeof write>) => {
    arm();
    return write(...args);
  }) as typeof stream.write;
  Object.assign(stream, {
    setTimeout: (ms: number, onTimeout?: () => void) => {
      idleMs = ms;
      if (onTimeout) stream.once("timeout", onTimeout);
      arm();
      return stream;
    },
    setNoDelay: () => stream,
    setKeepAlive: () => stream,
    ref: () => stream,
    unref: () => stream,
  });
  return stream;
}

/** How long a connection may sit idle in the keep-alive pool before it is closed. */
export const CONN_IDLE_MS = 1000;

/**
 * An `http.Agent` whose connections are `dial()`'s, kept alive between calls (one `ssh` process
 * serves many calls) and closed after {@link CONN_IDLE_MS} idle.
 */
export function connHttpAgent(dial: () => Promise<DockerConn>): http.Agent {
  const agent = new http.Agent({ keepAlive: true, timeout: CONN_IDLE_MS, maxFreeSockets: 4 });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () =>
    connDuplex(dial);
  return agent;
}
