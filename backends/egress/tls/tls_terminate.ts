/**
 * Terminates TLS on a connection the egress proxy already holds: the proxy has read the
 * client's first bytes (the ClientHello, for its SNI check), so they are replayed before the
 * rest of the stream. The server side offers ALPN `http/1.1` only, so a client that also offers
 * `h2` speaks HTTP/1.1 on the intercepted leg. The result reads and writes plaintext with the
 * same shape as a `Deno.Conn` (`read`, `write`, `close`, `readable`, `writable`).
 *
 * Built on `node:tls` over a `node:stream` `Duplex` that wraps the `Deno.Conn`. Nagle's
 * algorithm is turned off on a TCP connection (`setNoDelay(true)`).
 *
 * @example
 * ```ts ignore
 * import { createRunCa, terminateTls } from "./mod.ts";
 * const ca = createRunCa({ hosts: ["api.example.com"] });
 * const tls = await terminateTls(conn, clientHelloBytes, ca.mintLeaf("api.example.com"));
 * console.log(tls.sni, tls.alpn); // "api.example.com" "http/1.1"
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import * as tls from "node:tls";

/** The default bound on the handshake: 10 s (srt's `handshakeTimeoutMs`). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Options of {@linkcode terminateTls}. */
export interface TerminateTlsOptions {
  /** Bound on the whole handshake, in ms. Default {@link HANDSHAKE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** The plaintext side of a terminated TLS connection. */
export interface TerminatedTls {
  /** Decrypted bytes from the client; ends when the client ends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to encrypt to the client; closing it ends the TLS stream (close_notify, then FIN). */
  readonly writable: WritableStream<Uint8Array>;
  /** Reads decrypted bytes into `p`; null at the end of the client's stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes all of `p`, waiting while the socket's buffer is full; resolves to `p.length`. */
  write(p: Uint8Array): Promise<number>;
  /** Ends the TLS stream and then the connection's write side (half-close). */
  closeWrite(): Promise<void>;
  /** Destroys the TLS socket and the underlying connection. Idempotent. */
  close(): void;
  /** The server name the client sent (SNI), or null. */
  readonly sni: string | null;
  /** The negotiated ALPN protocol (`http/1.1`), or null when the client offered none. */
  readonly alpn: string | null;
}

/** The certificate and key the server side presents. */
export interface ServerLeaf {
  /** Certificate chain (PEM). */
  readonly certPem: string;
  /** Private key (PEM). */
  readonly keyPem: string;
}

/** A `Duplex` over a `Deno.Conn` that first yields `prefix`. */
class ConnDuplex extends Duplex {
  #conn: Deno.Conn;
  #prefix: Uint8Array | null;
  #reading = false;
  #closed = false;

  constructor(conn: Deno.Conn, prefix: Uint8Array) {
    super({ allowHalfOpen: true });
    this.#conn = conn;
    this.#prefix = prefix.length > 0 ? prefix.slice() : null;
  }

  override _read(): void {
    if (this.#prefix !== null) {
      const p = this.#prefix;
      this.#prefix = null;
      this.push(Buffer.from(p.buffer, p.byteOffset, p.length));
      return;
    }
    if (this.#reading) return;
    this.#reading = true;
    const buf = new Uint8Array(32 * 1024);
    this.#conn.read(buf).then(
      (n) => {
        this.#reading = false;
        if (n === null) this.push(null);
        else this.push(Buffer.from(buf.buffer, 0, n));
      },
      (err) => {
        this.#reading = false;
        // A close by our own side ends the stream; anything else is a transport error.
        if (this.#closed) this.push(null);
        else this.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    writeAll(this.#conn, chunk).then(() => callback(), (err) => callback(asError(err)));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#conn.closeWrite().then(() => callback(), () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeConn();
    callback(error);
  }

  #closeConn(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * One secure context per leaf object (parsing the PEMs costs about 1 ms a handshake): the run
 * CA returns the same frozen leaf for a repeated host, and a leaf it evicts is collected with
 * its context.
 */
const contexts = new WeakMap<ServerLeaf, tls.SecureContext>();

function secureContextFor(leaf: ServerLeaf): tls.SecureContext {
  let ctx = contexts.get(leaf);
  if (ctx === undefined) {
    ctx = tls.createSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
    if (Object.isFrozen(leaf)) contexts.set(leaf, ctx);
  }
  return ctx;
}

/**
 * Turns Nagle's algorithm off on a TCP connection: TLS already writes whole records, and a
 * small answer held back until the session tickets are acknowledged costs a delayed ACK
 * (about 40 ms on Linux) on the first response.
 */
function noDelay(conn: Deno.Conn): void {
  const tcp = conn as Partial<Deno.TcpConn>;
  try {
    tcp.setNoDelay?.(true);
  } catch {
    // not a TCP socket, or already closed
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

/** Pull-based plaintext reading and backpressured writing over a secure `TLSSocket`. */
class Terminated implements TerminatedTls {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly sni: string | null;
  readonly alpn: string | null;
  #socket: tls.TLSSocket;
  #pending: Uint8Array | null = null;
  #ended = false;
  #error: Error | null = null;
  #waiters: (() => void)[] = [];

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    const name = (socket as unknown as { servername?: unknown }).servername;
    this.sni = typeof name === "string" && name !== "" ? name : null;
    this.alpn = typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : null;
    const wake = () => {
      const ws = this.#waiters;
      this.#waiters = [];
      for (const w of ws) w();
    };
    socket.on("readable", wake);
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (err: Error) => {
      this.#error ??= err;
      wake();
    });
    // Until a TLS server releases control, Deno's TLSSocket reports a TLS error after the
    // handshake (a bad record) only as `_tlsError`: treat it as fatal, as Node's server does.
    socket.on("_tlsError", (err: Error) => {
      this.#error ??= err;
      socket.destroy();
      wake();
    });
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.#next();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
  }

  async #next(): Promise<Uint8Array | null> {
    if (this.#pending !== null) {
      const p = this.#pending;
      this.#pending = null;
      return p;
    }
    for (;;) {
      const chunk = this.#socket.destroyed ? null : this.#socket.read() as Buffer | null;
      if (chunk !== null) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      if (this.#error !== null) throw this.#error;
      if (this.#ended || this.#socket.destroyed) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (p.length === 0) return 0;
    const chunk = await this.#next();
    if (chunk === null) return null;
    const n = Math.min(p.length, chunk.length);
    p.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#pending = chunk.subarray(n);
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    const s = this.#socket;
    if (s.destroyed || s.writableEnded) {
      return Promise.reject(new Deno.errors.BrokenPipe("Cannot write: the TLS stream is closed"));
    }
    const n = p.length;
    if (n === 0) return Promise.resolve(0);
    // A copy: the caller may reuse `p` as soon as this resolves, before the bytes are flushed.
    if (s.write(Buffer.from(p))) return Promise.resolve(n);
    return new Promise<number>((resolve, reject) => {
      const done = (err?: Error) => {
        s.off("drain", onDrain);
        s.off("close", onClose);
        s.off("error", onError);
        if (err) reject(err);
        else resolve(n);
      };
      const onDrain = () => done();
      const onClose = () => done(new Deno.errors.BrokenPipe("Cannot write: the TLS stream closed"));
      const onError = (err: Error) => done(err);
      s.on("drain", onDrain);
      s.on("close", onClose);
      s.on("error", onError);
    });
  }

  closeWrite(): Promise<void> {
    const s = this.#socket;
    if (s.destroyed || s.writableFinished) return Promise.resolve();
    return new Promise<void>((resolve) => {
      s.once("finish", () => resolve());
      s.once("close", () => resolve());
      s.end();
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * Deno 2.9.6's `TLSSocket` runs its handshake start on the next tick, and the start feeds the
 * bytes already buffered (the replayed prefix) to TLS at once. When those bytes fail the
 * handshake (they are not TLS), the socket destroys itself inside the start, which then reads
 * its now-null handle and throws an uncaught `TypeError`. The failure itself is already reported
 * through the socket's `error` event; only that follow-on throw of a destroyed socket is dropped.
 */
function guardDeferredStart(socket: tls.TLSSocket): void {
  const s = socket as unknown as { _start?: (...args: unknown[]) => unknown };
  const start = s._start;
  if (typeof start !== "function") return;
  s._start = function (this: tls.TLSSocket, ...args: unknown[]) {
    try {
      return start.apply(this, args);
    } catch (err) {
      if (!this.destroyed) throw err;
    }
  };
}

/**
 * Runs the server side of a TLS handshake on `conn` with `leaf`, replaying `prefix` (bytes the
 * caller already read from `conn`, typically the ClientHello) first. Resolves once the
 * handshake completes; rejects (and closes `conn`) on a handshake error or after
 * `options.timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { terminateTls } from "./tls_terminate.ts";
 * const t = await terminateTls(conn, new Uint8Array(0), leaf, { timeoutMs: 5_000 });
 * const buf = new Uint8Array(1024);
 * const n = await t.read(buf); // decrypted request bytes
 * ```
 */
export function terminateTls(
  conn: Deno.Conn,
  prefix: Uint8Array,
  leaf: ServerLeaf,
  options: TerminateTlsOptions = {},
): Promise<TerminatedTls> {
  const timeoutMs = options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  noDelay(conn);
  const duplex = new ConnDuplex(conn, prefix);
  let socket: tls.TLSSocket;
  try {
    socket = new tls.TLSSocket(duplex, {
      isServer: true,
      secureContext: secureContextFor(leaf),
      ALPNProtocols: ["http/1.1"],
    });
  } catch (err) {
    duplex.destroy();
    return Promise.reject(err);
  }
  guardDeferredStart(socket);
  return new Promise<TerminatedTls>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      duplex.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Deno.errors.TimedOut(`TLS handshake timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("secure", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new Terminated(socket));
    });
    socket.once("error", (err: Error) => fail(new Error(`TLS handshake failed: ${err.message}`)));
    socket.once("close", () => fail(new Error("TLS handshake failed: the client closed")));
  });
}
