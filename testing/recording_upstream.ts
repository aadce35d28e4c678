/**
 * A loopback HTTP(S) upstream for tests of the secret paths: it keeps every request's raw bytes
 * (head and body, exactly as they arrived after TLS) so a test can grep them for a canary, and
 * answers through a handler (a model or an API that demands the real key, an echo endpoint, a
 * redirect). TLS uses the committed test CA in `testing/tls/` (tests only: its key is public);
 * the leaf names `localhost`, `127.0.0.1`, `api.test`, `model.test`, `echo.test`, `other.test`
 * and `*.bound.test`.
 *
 * @example
 * ```ts ignore
 * import { startRecordingUpstream, TEST_CA_PEM } from "./recording_upstream.ts";
 * await using up = await startRecordingUpstream({ tls: true, handler: () => ({ status: 200, body: "ok" }) });
 * const client = Deno.createHttpClient({ caCerts: [TEST_CA_PEM] });
 * const r = await fetch(`https://localhost:${up.port}/x`, { client });
 * console.assert((await r.text()) === "ok" && up.requests.length === 1);
 * ```
 * @module
 */

const HERE = new URL("./tls/", import.meta.url);

/** The test CA certificate (PEM) that signs the upstream's leaf. Tests only. */
export const TEST_CA_PEM: string = Deno.readTextFileSync(new URL("test_ca.pem", HERE));
/** The upstream's leaf certificate (PEM). */
export const TEST_LEAF_PEM: string = Deno.readTextFileSync(new URL("test_leaf.pem", HERE));
/** The upstream's leaf key (PEM). Tests only: it is committed. */
export const TEST_LEAF_KEY: string = Deno.readTextFileSync(new URL("test_leaf.key", HERE));

/** One request as it arrived. */
export interface RecordedRequest {
  /** Method. */
  method: string;
  /** Request target as sent (origin-form path, with query). */
  target: string;
  /** Header lines, names lower-cased, in order (repeats kept). */
  headers: [string, string][];
  /** The body (de-chunked when chunked). */
  body: Uint8Array;
  /** Every byte received for this request, head and framing included. */
  raw: Uint8Array;
}

/** What the handler answers. */
export interface UpstreamAnswer {
  /** Status code. Default 200. */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Body. Default empty. */
  body?: string | Uint8Array;
}

/** Options of {@linkcode startRecordingUpstream}. */
export interface RecordingUpstreamOptions {
  /** Serve TLS with the test leaf. Default true. */
  tls?: boolean;
  /** Answers each request. Default 200 `ok`. */
  handler?: (req: RecordedRequest) => UpstreamAnswer | Promise<UpstreamAnswer>;
  /**
   * Close the connection after answering a request that says `Connection: close` (as a proxy
   * forwarding one request per connection sends). Default false: keep reading.
   */
  honorConnectionClose?: boolean;
}

/** A running upstream. */
export interface RecordingUpstream extends AsyncDisposable {
  /** Loopback port. */
  port: number;
  /** Requests so far, in arrival order. */
  requests: RecordedRequest[];
  /** Every byte received on every connection (for a canary grep). */
  allBytes(): Uint8Array;
  /** Stops it. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function indexOf(buf: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= buf.length; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The bytes `needle` occur in `hay` (a canary grep helper for tests). */
export function containsBytes(hay: Uint8Array, needle: string | Uint8Array): boolean {
  const n = typeof needle === "string" ? enc.encode(needle) : needle;
  return indexOf(hay, n) >= 0;
}

class ConnReader {
  buf: Uint8Array = new Uint8Array(0);
  seen: Uint8Array[] = [];
  constructor(private conn: Deno.Conn) {}
  async fill(): Promise<boolean> {
    const chunk = new Uint8Array(16384);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    const got = chunk.subarray(0, n);
    this.seen.push(got.slice());
    this.buf = concat([this.buf, got]);
    return true;
  }
  take(n: number): Uint8Array {
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }
  async line(): Promise<string | null> {
    for (;;) {
      const i = indexOf(this.buf, enc.encode("\r\n"));
      if (i >= 0) return dec.decode(this.take(i + 2)).slice(0, -2);
      if (!(await this.fill())) return null;
    }
  }
  async exactly(n: number): Promise<Uint8Array | null> {
    while (this.buf.length < n) if (!(await this.fill())) return null;
    return this.take(n);
  }
}

async function readRequest(r: ConnReader): Promise<RecordedRequest | null> {
  const startSeen = r.seen.length;
  const startBuf = r.buf.slice();
  const first = await r.line();
  if (first === null || first === "") return null;
  const [method = "", target = ""] = first.split(" ");
  const headers: [string, string][] = [];
  for (;;) {
    const l = await r.line();
    if (l === null) return null;
    if (l === "") break;
    const c = l.indexOf(":");
    headers.push([l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()]);
  }
  const get = (n: string) => headers.find(([k]) => k === n)?.[1];
  const parts: Uint8Array[] = [];
  if ((get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) {
    for (;;) {
      const sizeLine = await r.line();
      if (sizeLine === null) return null;
      const size = parseInt(sizeLine.split(";")[0]!, 16);
      if (size === 0) {
        while ((await r.line()) !== "") { /* trailers */ }
        break;
      }
      const data = await r.exactly(size);
      if (data === null) return null;
      parts.push(data);
      await r.line();
    }
  } else {
    const len = Number(get("content-length") ?? "0");
    if (len > 0) {
      const data = await r.exactly(len);
      if (data === null) return null;
      parts.push(data);
    }
  }
  const raw = concat([startBuf, ...r.seen.slice(startSeen)]);
  return {
    method,
    target,
    headers,
    body: concat(parts),
    raw: raw.subarray(0, raw.length - r.buf.length),
  };
}

/** Starts an upstream on 127.0.0.1 (an ephemeral port). */
export function startRecordingUpstream(
  options: RecordingUpstreamOptions = {},
): Promise<RecordingUpstream> {
  const tls = options.tls ?? true;
  const handler = options.handler ??
    ((): UpstreamAnswer => ({ status: 200, body: "ok" }));
  const listener: Deno.Listener = tls
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: TEST_LEAF_PEM,
      key: TEST_LEAF_KEY,
      alpnProtocols: ["http/1.1"],
    })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RecordedRequest[] = [];
  const received: Uint8Array[][] = [];
  const conns = new Set<Deno.Conn>();
  const serveConn = async (conn: Deno.Conn) => {
    const r = new ConnReader(conn);
    received.push(r.seen);
    try {
      for (;;) {
        const req = await readRequest(r);
        if (req === null) break;
        requests.push(req);
        const a = await handler(req);
        const body = typeof a.body === "string" ? enc.encode(a.body) : a.body ?? new Uint8Array();
        const head = [`HTTP/1.1 ${a.status ?? 200} X`];
        const hs = { "content-length": String(body.length), ...(a.headers ?? {}) };
        for (const [k, v] of Object.entries(hs)) head.push(`${k}: ${v}`);
        await conn.write(concat([enc.encode(head.join("\r\n") + "\r\n\r\n"), body]));
        const connection = req.headers.find(([k]) => k === "connection")?.[1] ?? "";
        if (options.honorConnectionClose && /\bclose\b/i.test(connection)) break;
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serveConn(conn);
    }
  })().catch(() => {});
  const close = async () => {
    try {
      listener.close();
    } catch { /* closed */ }
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await loop;
  };
  return Promise.resolve({
    port: (listener.addr as Deno.NetAddr).port,
    requests,
    allBytes: () => concat(received.flat()),
    close,
    [Symbol.asyncDispose]: close,
  });
}
