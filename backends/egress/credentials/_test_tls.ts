/**
 * Test helpers (private, tests only): TLS termination with `node:tls` and the committed test
 * leaf, an upstream TLS dial with `Deno.startTls`, a raw client that speaks through the egress
 * proxy byte by byte, and a canary secret store.
 * @module
 */
import * as tls from "node:tls";
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";
import { TEST_CA_PEM, TEST_LEAF_KEY, TEST_LEAF_PEM } from "../../../testing/recording_upstream.ts";
import type { ByteStream } from "./byte_stream.ts";

/** A `node:tls` socket as a byte stream. */
class SocketStream implements ByteStream {
  #queue: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | null = null;
  constructor(readonly socket: tls.TLSSocket) {
    socket.on("data", (d: Buffer) => {
      this.#queue.push(new Uint8Array(d));
      this.#wake?.();
    });
    const end = () => {
      this.#ended = true;
      this.#wake?.();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }
  get sni(): string | null {
    const s = (this.socket as unknown as { servername?: string | false }).servername;
    return typeof s === "string" ? s : null;
  }
  get alpn(): string | null {
    return this.socket.alpnProtocol || null;
  }
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
    const head = this.#queue[0];
    if (head === undefined) return null;
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#queue.shift();
    else this.#queue[0] = head.subarray(n);
    return n;
  }
  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.write(Buffer.from(p), (err) => (err ? reject(err) : resolve(p.length)));
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A Duplex over a Deno connection, replaying `prefix` first. */
function connDuplex(conn: Deno.Conn, prefix: Uint8Array): Duplex {
  const buf = new Uint8Array(16384);
  const d = new Duplex({
    read() {
      conn.read(buf).then(
        (n) => d.push(n === null ? null : Buffer.from(buf.slice(0, n))),
        () => d.push(null),
      );
    },
    write(chunk: Buffer, _enc, cb) {
      (async () => {
        let at = 0;
        while (at < chunk.length) at += await conn.write(chunk.subarray(at));
      })().then(() => cb(), (e) => cb(e));
    },
    final(cb) {
      conn.closeWrite().then(() => cb(), () => cb());
    },
    destroy(err, cb) {
      try {
        conn.close();
      } catch { /* closed */ }
      cb(err);
    },
  });
  if (prefix.length > 0) d.push(Buffer.from(prefix));
  return d;
}

/** Terminates TLS on `client` with the test leaf (ALPN http/1.1 only). */
export function testTerminate(
  client: Deno.Conn,
  prefix: Uint8Array,
  _host: string,
): Promise<ByteStream> {
  const duplex = connDuplex(client, prefix);
  const socket = new tls.TLSSocket(duplex, {
    isServer: true,
    secureContext: tls.createSecureContext({ key: TEST_LEAF_KEY, cert: TEST_LEAF_PEM }),
    ALPNProtocols: ["http/1.1"],
  });
  // The client's TCP end (or a close by the proxy) ends the TLS session too.
  duplex.once("end", () => socket.destroy());
  duplex.once("close", () => socket.destroy());
  return new Promise((resolve, reject) => {
    socket.once("secure", () => resolve(new SocketStream(socket)));
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("the client left during the handshake")));
  });
}

/** Dials the upstream at the pinned `ip` and verifies `host` against the test CA. */
export async function testConnectUpstream(
  host: string,
  port: number,
  ip: string,
): Promise<ByteStream> {
  const conn = await Deno.connect({ hostname: ip, port });
  conn.setNoDelay(true);
  return await Deno.startTls(conn, {
    hostname: host,
    caCerts: [TEST_CA_PEM],
    alpnProtocols: ["http/1.1"],
  });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A client that opens a CONNECT tunnel through the proxy and speaks TLS with a chosen SNI. */
export async function rawTunnel(
  proxyPort: number,
  connectTarget: string,
  sni: string,
  alpn: string[] = ["http/1.1"],
): Promise<Deno.TlsConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  await conn.write(
    enc.encode(`CONNECT ${connectTarget} HTTP/1.1\r\nHost: ${connectTarget}\r\n\r\n`),
  );
  const buf = new Uint8Array(1024);
  let got = "";
  while (!got.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`tunnel refused: ${got}`);
    got += dec.decode(buf.subarray(0, n));
  }
  if (!got.startsWith("HTTP/1.1 200")) {
    conn.close();
    throw new Error(`tunnel refused: ${got.split("\r\n")[0]}`);
  }
  const tlsConn = await Deno.startTls(conn, {
    hostname: sni,
    caCerts: [TEST_CA_PEM],
    alpnProtocols: alpn,
  });
  await tlsConn.handshake();
  return tlsConn;
}

/** Writes each piece in its own write (a placeholder split across TCP/TLS writes). */
export async function writePieces(conn: Deno.Conn, pieces: (string | Uint8Array)[]): Promise<void> {
  for (const p of pieces) {
    const bytes = typeof p === "string" ? enc.encode(p) : p;
    let at = 0;
    while (at < bytes.length) at += await conn.write(bytes.subarray(at));
  }
}

/** Reads one response (Content-Length or chunked or until close) as text. */
export async function readResponse(conn: Deno.Conn): Promise<{ status: number; text: string }> {
  let raw = new Uint8Array(0);
  const buf = new Uint8Array(16384);
  const complete = (): boolean => {
    const text = dec.decode(raw);
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const head = text.slice(0, end).toLowerCase();
    const cl = /content-length:\s*(\d+)/.exec(head);
    if (cl) return raw.length >= end + 4 + Number(cl[1]);
    if (head.includes("transfer-encoding: chunked")) return text.endsWith("\r\n0\r\n\r\n");
    return false;
  };
  while (!complete()) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    const next = new Uint8Array(raw.length + n);
    next.set(raw);
    next.set(buf.subarray(0, n), raw.length);
    raw = next;
  }
  const text = dec.decode(raw);
  return { status: Number(text.split(" ")[1] ?? 0), text };
}

/** A resolver of canary values that can be rotated. */
export class CanaryVault {
  values = new Map<string, string>();
  resolve(name: string): Promise<string> {
    const v = this.values.get(name);
    return v === undefined ? Promise.reject(new Error(`no secret "${name}"`)) : Promise.resolve(v);
  }
}

/** A fresh canary value. */
export function canary(tag = ""): string {
  return `zu-canary-${tag}${crypto.randomUUID().replaceAll("-", "")}`;
}
