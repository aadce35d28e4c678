/**
 * The body of a forwarded absolute-form request (private): its framing, decided once from the
 * head and refused when ambiguous, and its forwarding, exactly one body and nothing after it.
 *
 * The proxy forwards ONE request per client connection: whatever the client sends after the
 * end of the first body (a pipelined or kept-alive second request) is never read, so it can
 * never reach an upstream that was checked for another request.
 * @module
 */
import type { RequestHead } from "./_http_head.ts";

/** How a request body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** A request whose body framing is ambiguous or unsupported (answered with 400). */
export class FramingError extends Error {}

/**
 * The framing of `head`'s body (RFC 9112 §6): `Transfer-Encoding: chunked` alone, one
 * `Content-Length` (repeated only with the same value), or none. Anything that two parsers
 * could read differently (both headers, several encodings, `chunked` not alone, a list of
 * lengths, chunked in HTTP/1.0) throws {@link FramingError}.
 */
export function bodyFraming(head: RequestHead): BodyFraming {
  const values = (name: string) =>
    head.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  const te = values("transfer-encoding");
  const cl = values("content-length");
  if (te.length > 0) {
    if (cl.length > 0) throw new FramingError("both Transfer-Encoding and Content-Length");
    if (head.version === "HTTP/1.0") throw new FramingError("Transfer-Encoding in HTTP/1.0");
    if (te.length !== 1 || te[0]!.toLowerCase() !== "chunked") {
      throw new FramingError(`Transfer-Encoding "${te.join(", ")}" (only "chunked" is relayed)`);
    }
    return { kind: "chunked" };
  }
  if (cl.length === 0) return { kind: "none" };
  if (!cl.every((v) => /^[0-9]{1,15}$/.test(v)) || new Set(cl.map(Number)).size !== 1) {
    throw new FramingError(`Content-Length "${cl.join(", ")}"`);
  }
  const length = Number(cl[0]);
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** The framing header to send upstream for `framing`, or null for none. */
export function framingHeader(framing: BodyFraming): string | null {
  if (framing.kind === "chunked") return "Transfer-Encoding: chunked";
  if (framing.kind === "length") return `Content-Length: ${framing.length}`;
  return null;
}

/** Bytes of a client connection after its head, read on demand. */
class BodySource {
  #conn: { read(p: Uint8Array): Promise<number | null> };
  #buf: Uint8Array;
  #at = 0;
  #touch: () => void;

  constructor(
    conn: { read(p: Uint8Array): Promise<number | null> },
    initial: Uint8Array,
    touch: () => void,
  ) {
    this.#conn = conn;
    this.#buf = initial;
    this.#touch = touch;
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(16384);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new FramingError("the client closed inside the body");
    this.#touch();
    const left = this.#buf.subarray(this.#at);
    const next = new Uint8Array(left.length + n);
    next.set(left);
    next.set(chunk.subarray(0, n), left.length);
    this.#buf = next;
    this.#at = 0;
  }

  /** One CRLF-terminated line (latin1, without the CRLF), at most `max` bytes. */
  async line(max: number): Promise<string> {
    let from = this.#at;
    while (true) {
      for (let i = from; i < this.#buf.length; i++) {
        if (this.#buf[i] !== 10) continue;
        if (i === this.#at || this.#buf[i - 1] !== 13) {
          throw new FramingError("bare LF in the body");
        }
        let text = "";
        for (let j = this.#at; j < i - 1; j++) text += String.fromCharCode(this.#buf[j]!);
        this.#at = i + 1;
        if (text.includes("\r")) throw new FramingError("bare CR in the body");
        return text;
      }
      if (this.#buf.length - this.#at > max) throw new FramingError("chunk line too long");
      from = this.#buf.length;
      const consumed = this.#at;
      await this.#fill();
      from -= consumed;
    }
  }

  /** Hands exactly `n` bytes to `out`, in pieces. */
  async take(n: number, out: (piece: Uint8Array) => Promise<void>): Promise<void> {
    while (n > 0) {
      if (this.#at >= this.#buf.length) await this.#fill();
      const k = Math.min(n, this.#buf.length - this.#at);
      await out(this.#buf.subarray(this.#at, this.#at + k));
      this.#at += k;
      n -= k;
    }
  }

  /** Bytes already read past what was consumed (a pipelined request, dropped). */
  get leftover(): number {
    return this.#buf.length - this.#at;
  }
}

/**
 * Forwards exactly one body with `framing` from the client (`initial` = bytes read past the
 * head) through `write`; a chunked body is re-serialised canonically (sizes in lowercase hex,
 * no extensions, trailers dropped). Returns how many client bytes it had read past the body
 * (never forwarded). Throws {@link FramingError} on a malformed body.
 */
export async function forwardBody(
  client: { read(p: Uint8Array): Promise<number | null> },
  initial: Uint8Array,
  framing: BodyFraming,
  write: (bytes: Uint8Array) => Promise<void>,
  touch: () => void = () => {},
): Promise<number> {
  const source = new BodySource(client, initial, touch);
  if (framing.kind === "length") await source.take(framing.length, write);
  if (framing.kind === "chunked") {
    const ascii = (text: string) => new TextEncoder().encode(text);
    while (true) {
      const line = await source.line(1024);
      const match = /^([0-9A-Fa-f]{1,12})(;[\x20-\x7e\t]*)?$/.exec(line);
      if (match === null) throw new FramingError(`chunk size line "${line.slice(0, 40)}"`);
      const size = parseInt(match[1]!, 16);
      if (size === 0) {
        for (let trailers = 0;; trailers++) {
          if (trailers > 64) throw new FramingError("too many trailer lines");
          if (await source.line(8192) === "") break;
        }
        await write(ascii("0\r\n\r\n"));
        break;
      }
      await write(ascii(`${size.toString(16)}\r\n`));
      await source.take(size, write);
      if (await source.line(2) !== "") throw new FramingError("chunk data longer than its size");
      await write(ascii("\r\n"));
    }
  }
  return source.leftover;
}
