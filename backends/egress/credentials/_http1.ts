/**
 * HTTP/1.1 message reading and writing over a byte stream (private to the credential
 * interceptor): a buffered reader (heads, exact lengths, chunked bodies, bounded in bytes), the
 * framing of a request or response, and the serialisation of heads and chunks. Text is Latin-1.
 * @module
 */
import { latin1, latin1Bytes } from "./_text_views.ts";
import type { ByteStream } from "./byte_stream.ts";

/** Thrown for a message that cannot be read safely (mapped to 400/502 by the caller). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A parsed head: the start line's three parts and the header lines. */
export interface Http1Head {
  /** Request: method, target, version. Response: version, status, reason. */
  line: [string, string, string];
  /** Header lines in order, names as sent. */
  headers: [string, string][];
}

/** Body framing of a message. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** A header's value (first, case-insensitive). */
export function header(headers: readonly [string, string][], name: string): string | undefined {
  const l = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === l)?.[1];
}

/** A buffered reader with a touch callback on every read (idle timers). */
export class Http1Reader {
  #s: ByteStream;
  #buf: Uint8Array;
  #onRead: () => void;

  constructor(
    s: ByteStream,
    already: Uint8Array = new Uint8Array(),
    onRead: () => void = () => {},
  ) {
    this.#s = s;
    this.#buf = already.slice();
    this.#onRead = onRead;
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#buf.length;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(16384);
    let n: number | null;
    try {
      n = await this.#s.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) return false;
    this.#onRead();
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Reads a head (at most `limit` bytes); null when the stream ends before its first byte. */
  async head(limit: number): Promise<Http1Head | null> {
    // Tolerate blank lines between messages (RFC 9112 §2.2).
    for (;;) {
      while (this.#buf.length < 2) {
        if (!(await this.#fill())) {
          if (this.#buf.length === 0) return null;
          throw new HttpError(400, "the stream ended inside a head");
        }
      }
      if (this.#buf[0] === 13 && this.#buf[1] === 10) this.#take(2);
      else break;
    }
    let searched = 0;
    for (;;) {
      const end = indexOfCrlfCrlf(this.#buf, searched);
      if (end >= 0) {
        if (end > limit) throw new HttpError(431, "the head is too large");
        const text = latin1(this.#take(end + 4)).slice(0, -4);
        return parseHead(text);
      }
      if (this.#buf.length > limit) throw new HttpError(431, "the head is too large");
      searched = Math.max(0, this.#buf.length - 3);
      if (!(await this.#fill())) throw new HttpError(400, "the stream ended inside a head");
    }
  }

  /** Up to `max` bytes: what is buffered, else one read; null at the end. */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !(await this.#fill())) return null;
    return this.#take(Math.min(max, this.#buf.length));
  }

  /** Exactly `n` bytes, delivered in pieces to `sink`. */
  async exactly(n: number, sink: (piece: Uint8Array) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      const piece = await this.some(Math.min(left, 65536));
      if (piece === null) throw new HttpError(400, "the stream ended inside a body");
      left -= piece.length;
      await sink(piece);
    }
  }

  /** One CRLF-terminated line (without it), at most `limit` bytes. */
  async line(limit = 8192): Promise<string> {
    for (;;) {
      const i = indexOfCrlf(this.#buf);
      if (i >= 0) return latin1(this.#take(i + 2)).slice(0, -2);
      if (this.#buf.length > limit) throw new HttpError(400, "a chunk line is too long");
      if (!(await this.#fill())) throw new HttpError(400, "the stream ended inside a chunk");
    }
  }

  /** A chunked body's data, delivered to `sink` chunk by chunk (trailers dropped). */
  async chunked(sink: (piece: Uint8Array) => Promise<void> | void): Promise<void> {
    for (;;) {
      const sizeLine = await this.line();
      const m = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(sizeLine);
      if (m === null) throw new HttpError(400, "a malformed chunk size");
      const size = parseInt(m[1]!, 16);
      if (size === 0) {
        while ((await this.line()) !== "") { /* trailers: dropped */ }
        return;
      }
      await this.exactly(size, sink);
      if ((await this.line()) !== "") throw new HttpError(400, "a chunk without its CRLF");
    }
  }

  /** Everything until the stream ends. */
  async untilEnd(sink: (piece: Uint8Array) => Promise<void> | void): Promise<void> {
    for (;;) {
      const piece = await this.some(65536);
      if (piece === null) return;
      await sink(piece);
    }
  }

  /** The body of `framing`, delivered to `sink`. */
  async body(framing: Framing, sink: (piece: Uint8Array) => Promise<void> | void): Promise<void> {
    if (framing.kind === "length") await this.exactly(framing.length, sink);
    else if (framing.kind === "chunked") await this.chunked(sink);
    else if (framing.kind === "close") await this.untilEnd(sink);
  }
}

function indexOfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function indexOfCrlfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseHead(text: string): Http1Head {
  const lines = text.split("\r\n");
  const first = lines.shift() ?? "";
  const a = first.indexOf(" ");
  const b = first.indexOf(" ", a + 1);
  if (a <= 0 || /[\0\r\n]/.test(first)) throw new HttpError(400, "a malformed start line");
  const line: [string, string, string] = b < 0
    ? [first.slice(0, a), first.slice(a + 1), ""]
    : [first.slice(0, a), first.slice(a + 1, b), first.slice(b + 1)];
  const headers: [string, string][] = [];
  for (const l of lines) {
    if (l.startsWith(" ") || l.startsWith("\t")) {
      throw new HttpError(400, "a folded header line");
    }
    const c = l.indexOf(":");
    const name = c > 0 ? l.slice(0, c) : "";
    if (!TOKEN.test(name) || /[\0\r\n]/.test(l)) throw new HttpError(400, "a malformed header");
    headers.push([name, l.slice(c + 1).trim()]);
  }
  return { line, headers };
}

/** A request's framing: 400 on anything ambiguous (smuggling). */
export function requestFraming(headers: readonly [string, string][]): Framing {
  const te = headers.filter(([k]) => k.toLowerCase() === "transfer-encoding").map(([, v]) => v);
  const cl = headers.filter(([k]) => k.toLowerCase() === "content-length").map(([, v]) => v);
  if (te.length > 0) {
    if (cl.length > 0) throw new HttpError(400, "both Transfer-Encoding and Content-Length");
    if (te.join(",").trim().toLowerCase() !== "chunked") {
      throw new HttpError(400, "a Transfer-Encoding other than chunked");
    }
    return { kind: "chunked" };
  }
  return lengthFraming(cl) ?? { kind: "none" };
}

function lengthFraming(cl: string[]): Framing | null {
  if (cl.length === 0) return null;
  const values = new Set(cl.flatMap((v) => v.split(",").map((x) => x.trim())));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw new HttpError(400, "a malformed Content-Length");
  }
  return { kind: "length", length: Number(only) };
}

/** A response's framing for a request of `method` (RFC 9112 §6.3). */
export function responseFraming(
  method: string,
  status: number,
  headers: readonly [string, string][],
): Framing {
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) {
    return { kind: "none" };
  }
  const te = header(headers, "transfer-encoding");
  if (te !== undefined) {
    return te.trim().toLowerCase().endsWith("chunked") ? { kind: "chunked" } : { kind: "close" };
  }
  const cl = headers.filter(([k]) => k.toLowerCase() === "content-length").map(([, v]) => v);
  return lengthFraming(cl) ?? { kind: "close" };
}

/** A head's bytes: the start line, the header lines, the blank line. */
export function headBytes(line: string, headers: readonly [string, string][]): Uint8Array {
  let text = line + "\r\n";
  for (const [k, v] of headers) text += `${k}: ${v}\r\n`;
  return latin1Bytes(text + "\r\n");
}

/** One chunk of a chunked body (empty data gives nothing: use {@link LAST_CHUNK}). */
export function chunkBytes(data: Uint8Array): Uint8Array {
  if (data.length === 0) return data;
  const size = latin1Bytes(data.length.toString(16) + "\r\n");
  const out = new Uint8Array(size.length + data.length + 2);
  out.set(size);
  out.set(data, size.length);
  out.set([13, 10], size.length + data.length);
  return out;
}

/** The last chunk with no trailers. */
export const LAST_CHUNK: Uint8Array = latin1Bytes("0\r\n\r\n");

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
