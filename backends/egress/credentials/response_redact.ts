/**
 * The response side of a bound host: its headers and its non-encoded body are scanned for the
 * real values used toward it (as sent, percent-encoded, JSON-escaped, as base64 in any
 * alignment), and each hit is replaced by the secret's placeholder (a base64 hit by the base64 of the
 * placeholder cut or padded to the value's length), so
 * an echo endpoint (httpbin `/headers`, an error page quoting the request) never hands the
 * value back to the sandbox. A body whose length changes is re-framed: a Content-Length body is
 * buffered (bounded) and sent with its new length; a chunked or close-delimited body is
 * redacted as it streams, holding back only a tail that could still begin a value (in any
 * form) so a value split across pieces is still found, and re-chunked. The interceptor asks bound hosts for `identity`; a gzip
 * or deflate body that comes anyway is buffered (bounded) and inflated to be scanned: on a hit
 * it goes out inflated, redacted and without its `Content-Encoding`, else as it came. Another
 * encoding (`br`, `zstd`) is relayed as is.
 *
 * Values shorter than {@link MIN_REDACT_LENGTH} characters are not redacted (they would hit
 * ordinary text); base64 forms need at least 8 characters of core.
 *
 * @example
 * ```ts
 * import { redactText } from "./response_redact.ts";
 * const r = redactText('{"auth":"Bearer s3cret-value"}', [{ name: "K", value: "s3cret-value", replacement: "zu_ph_K_x" }]);
 * console.assert(r.text === '{"auth":"Bearer zu_ph_K_x"}' && r.hits[0] === "K");
 * ```
 * @module
 */
import { base64CorePairs, findInViews, latin1, latin1Bytes, textViews } from "./_text_views.ts";
import type { ByteStream } from "./byte_stream.ts";
import { writeFull } from "./byte_stream.ts";
import {
  chunkBytes,
  concatBytes,
  type Framing,
  headBytes,
  header,
  type Http1Head,
  type Http1Reader,
  HttpError,
  LAST_CHUNK,
  responseFraming,
} from "./_http1.ts";
import { dropHopHeaders } from "./header_rules.ts";

/** The longest unfinished escape a piece can end in (`%5Cu005` or `\\u00255`). */
const MAX_PARTIAL_ESCAPE = 7;

/** The shortest value that is redacted. */
export const MIN_REDACT_LENGTH = 6;

/** A value to redact: Latin-1 text of its bytes, and what replaces it. */
export interface RedactSecret {
  /** Secret name (reported on a hit). */
  name: string;
  /** The real value as Latin-1 text (`utf8AsLatin1`). */
  value: string;
  /** What replaces it (its placeholder). */
  replacement: string;
}

/** Result of {@link redactText}. */
export interface Redacted {
  /** The text with every hit replaced. */
  text: string;
  /** Names of the secrets found (once each). */
  hits: string[];
}

interface Range {
  from: number;
  to: number;
  with: string;
  name: string;
}

function ranges(text: string, secrets: readonly RedactSecret[]): Range[] {
  const usable = secrets.filter((s) => s.value.length >= MIN_REDACT_LENGTH);
  if (usable.length === 0) return [];
  const views = textViews(text);
  const out: Range[] = findInViews(views, usable.map((s) => s.value)).map((m) => ({
    from: m.from,
    to: m.to,
    with: usable[m.needle]!.replacement,
    name: usable[m.needle]!.name,
  }));
  usable.forEach((s) => {
    const pairs = base64CorePairs(s.value, s.replacement);
    for (const m of findInViews(views, pairs.map(([core]) => core))) {
      out.push({ from: m.from, to: m.to, with: pairs[m.needle]![1], name: s.name });
    }
  });
  return out.sort((a, b) => a.from - b.from || b.to - a.to);
}

function apply(text: string, rs: Range[], upTo: number): { text: string; cut: number } {
  let out = "";
  let at = 0;
  for (const r of rs) {
    if (r.from >= upTo && r.from >= at) break;
    if (r.from < at) {
      // overlaps one already replaced: extend over it without a second replacement
      at = Math.max(at, r.to);
      continue;
    }
    out += text.slice(at, r.from) + r.with;
    at = r.to;
  }
  const cut = Math.max(at, upTo);
  return { text: out + text.slice(at, cut), cut };
}

/**
 * `text` (Latin-1) with every value of `secrets` replaced, in every form.
 */
export function redactText(text: string, secrets: readonly RedactSecret[]): Redacted {
  const rs = ranges(text, secrets);
  if (rs.length === 0) return { text, hits: [] };
  return { text: apply(text, rs, text.length).text, hits: [...new Set(rs.map((r) => r.name))] };
}

/** Header lines with every value redacted; the names of the secrets found. */
export function redactHeaders(
  headers: readonly [string, string][],
  secrets: readonly RedactSecret[],
): { headers: [string, string][]; hits: string[] } {
  const hits = new Set<string>();
  const out = headers.map(([k, v]): [string, string] => {
    const r = redactText(v, secrets);
    r.hits.forEach((h) => hits.add(h));
    return [k, r.text];
  });
  return { headers: out, hits: [...hits] };
}

/**
 * Redacts a body that arrives in pieces: each piece is redacted together with a held-back tail
 * of the previous ones, so a value split across pieces is found.
 *
 * @example
 * ```ts
 * import { StreamRedactor } from "./response_redact.ts";
 * const r = new StreamRedactor([{ name: "K", value: "abcdefgh", replacement: "XXXXXXXX" }]);
 * const enc = new TextEncoder();
 * const out = [r.push(enc.encode("..abcd")), r.push(enc.encode("efgh..")), r.end()];
 * console.assert(new TextDecoder().decode(new Uint8Array(out.flatMap((o) => [...o.bytes]))) === "..XXXXXXXX..");
 * ```
 */
export class StreamRedactor {
  #secrets: readonly RedactSecret[];
  #needles: string[];
  #tail = "";
  /** Names of the secrets found so far. */
  readonly hits: Set<string> = new Set();

  constructor(secrets: readonly RedactSecret[]) {
    this.#secrets = secrets;
    this.#needles = secrets.filter((s) => s.value.length >= MIN_REDACT_LENGTH).flatMap((s) => [
      s.value,
      ...base64CorePairs(s.value, s.replacement).map(([core]) => core),
    ]);
  }

  /** Redacts one more piece; returns the bytes that are final now. */
  push(piece: Uint8Array): { bytes: Uint8Array; hits: string[] } {
    return this.#run(this.#tail + latin1(piece), false);
  }

  /** Flushes what is held back. */
  end(): { bytes: Uint8Array; hits: string[] } {
    return this.#run(this.#tail, true);
  }

  /**
   * Where the held-back tail starts: the earliest point from which the rest of the window could
   * still begin a value in some form (its decoded suffix is a prefix of a value or a base64
   * core), and never fewer than the last {@link MAX_PARTIAL_ESCAPE} bytes (an unfinished
   * escape). Everything before it is final, so a stream is held back only as far as it must be.
   */
  #safeCut(window: string): number {
    if (this.#needles.length === 0) return window.length;
    let cut = Math.max(0, window.length - MAX_PARTIAL_ESCAPE);
    // Only the last (longest encoded form + an unfinished escape) bytes can start a value.
    const longest = this.#needles.reduce((n, x) => Math.max(n, x.length), 0);
    const offset = Math.max(0, window.length - 8 * longest - MAX_PARTIAL_ESCAPE - 1);
    const region = window.slice(offset);
    // The region may end inside an escape: try it without each possible unfinished tail.
    for (let trim = 0; trim <= MAX_PARTIAL_ESCAPE && trim < region.length; trim++) {
      for (const v of textViews(region.slice(0, region.length - trim))) {
        const L = v.text.length;
        for (const n of this.#needles) {
          for (let i = Math.max(0, L - n.length + 1); i < L; i++) {
            if (n.startsWith(v.text.slice(i))) {
              cut = Math.min(cut, offset + (v.start ? v.start[i]! : i));
              break;
            }
          }
        }
      }
    }
    return cut;
  }

  #run(window: string, last: boolean): { bytes: Uint8Array; hits: string[] } {
    const upTo = last ? window.length : this.#safeCut(window);
    const rs = ranges(window, this.#secrets).filter((r) => r.from < upTo);
    const { text, cut } = apply(window, rs, upTo);
    this.#tail = window.slice(cut);
    const fresh = [...new Set(rs.map((r) => r.name))].filter((n) => !this.hits.has(n));
    fresh.forEach((n) => this.hits.add(n));
    return { bytes: latin1Bytes(text), hits: fresh };
  }
}

const INFLATABLE = new Set(["gzip", "x-gzip", "deflate"]);

async function collect(upstream: Http1Reader, framing: Framing, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  await upstream.body(framing, (p) => {
    n += p.length;
    if (n > max) throw new HttpError(502, `a response body over "${max}" bytes from a bound host`);
    parts.push(p);
  });
  return concatBytes(parts);
}

/** The inflated bytes, null when they do not inflate, `too_large` past `max`. */
async function inflate(
  raw: Uint8Array,
  format: "gzip" | "deflate",
  max: number,
): Promise<Uint8Array | null | "too_large"> {
  const reader = new Blob([raw as BlobPart]).stream().pipeThrough(new DecompressionStream(format))
    .getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concatBytes(parts);
      n += value.length;
      if (n > max) {
        await reader.cancel().catch(() => {});
        return "too_large";
      }
      parts.push(value);
    }
  } catch {
    return null;
  }
}

/** Options of {@link relayResponse}. */
export interface RelayResponseOptions {
  /** The values to redact (empty: relay as is). */
  secrets: readonly RedactSecret[];
  /** The request's method (HEAD has no body). */
  method: string;
  /** Largest Content-Length body buffered for redaction (502 above). Default 64 MiB. */
  maxBufferBytes?: number;
  /** Close after this response whatever the upstream says (a plain request). Default false. */
  close?: boolean;
  /** Called once per secret per place it was found. */
  onEcho(name: string, where: "header" | "body"): void;
}

/** What {@link relayResponse} sent. */
export interface RelayedResponse {
  /** The status code. */
  status: number;
  /** Bytes written to the client. */
  bytes: number;
  /** False when the connection must close after this response. */
  keepAlive: boolean;
}

/**
 * Relays one response from `upstream` (its head already read) to `client`, redacting as the
 * module doc says, and re-framing the body.
 */
export async function relayResponse(
  head: Http1Head,
  upstream: Http1Reader,
  client: ByteStream,
  options: RelayResponseOptions,
): Promise<RelayedResponse> {
  const status = Number(head.line[1]);
  if (!/^\d{3}$/.test(head.line[1])) throw new HttpError(502, "a malformed status line");
  const framing: Framing = responseFraming(options.method, status, head.headers);
  const connection = (header(head.headers, "connection") ?? "").toLowerCase();
  const keepAlive = options.close !== true && framing.kind !== "close" &&
    !connection.includes("close") &&
    head.line[0] === "HTTP/1.1";
  const secrets = options.secrets;
  const red = redactHeaders(dropHopHeaders(head.headers), secrets);
  red.hits.forEach((n) => options.onEcho(n, "header"));
  const encoding = (header(head.headers, "content-encoding") ?? "identity").trim().toLowerCase();
  const redactBody = secrets.length > 0 && (encoding === "" || encoding === "identity");
  let base = red.headers;
  if (framing.kind !== "none") {
    base = base.filter(([k]) => k.toLowerCase() !== "content-length");
  }
  if (!keepAlive) base.push(["Connection", "close"]);
  const statusLine = `${head.line[0]} ${head.line[1]} ${head.line[2]}`.trimEnd();
  let bytes = 0;
  const send = async (data: Uint8Array) => {
    if (data.length === 0) return;
    await writeFull(client, data);
    bytes += data.length;
  };

  if (framing.kind === "none") {
    await send(headBytes(statusLine, base));
    return { status, bytes, keepAlive };
  }
  const max = options.maxBufferBytes ?? 64 * 1024 * 1024;
  if (secrets.length > 0 && INFLATABLE.has(encoding)) {
    // A compressed body is inflated to be scanned; on a hit it goes out redacted and plain.
    const raw = await collect(upstream, framing, max);
    const plain = await inflate(raw, encoding === "deflate" ? "deflate" : "gzip", max);
    if (plain === "too_large") {
      throw new HttpError(502, `a compressed response over "${max}" bytes from a bound host`);
    }
    // Bytes that do not inflate are scanned as they are (the client cannot inflate them either).
    const r = redactText(latin1(plain ?? raw), secrets);
    r.hits.forEach((n) => options.onEcho(n, "body"));
    const inflated = plain !== null && r.hits.length > 0;
    const body = r.hits.length > 0 ? latin1Bytes(r.text) : raw;
    const lines = inflated
      ? base.filter(([k]) => k.toLowerCase() !== "content-encoding" && k.toLowerCase() !== "etag")
      : base;
    const h = headBytes(statusLine, [...lines, ["Content-Length", String(body.length)]]);
    await send(concatBytes([h, body]));
    return { status, bytes, keepAlive };
  }
  if (framing.kind === "length") {
    if (!redactBody) {
      await send(headBytes(statusLine, [...base, ["Content-Length", String(framing.length)]]));
      await upstream.exactly(framing.length, send);
      return { status, bytes, keepAlive };
    }
    if (framing.length > max) {
      throw new HttpError(502, `a response body over "${max}" bytes from a bound host`);
    }
    const parts: Uint8Array[] = [];
    await upstream.exactly(framing.length, (p) => void parts.push(p));
    const r = redactText(latin1(concatBytes(parts)), secrets);
    r.hits.forEach((n) => options.onEcho(n, "body"));
    const body = latin1Bytes(r.text);
    const h = headBytes(statusLine, [...base, ["Content-Length", String(body.length)]]);
    await send(concatBytes([h, body]));
    return { status, bytes, keepAlive };
  }
  // chunked, or delimited by the close: stream (redacted), re-chunk when chunked
  const chunked = framing.kind === "chunked";
  await send(headBytes(statusLine, chunked ? [...base, ["Transfer-Encoding", "chunked"]] : base));
  const redactor = redactBody ? new StreamRedactor(secrets) : null;
  const out = async (data: Uint8Array) => await send(chunked ? chunkBytes(data) : data);
  await upstream.body(framing, async (piece) => {
    if (redactor === null) return await out(piece);
    const r = redactor.push(piece);
    r.hits.forEach((n) => options.onEcho(n, "body"));
    await out(r.bytes);
  });
  if (redactor !== null) {
    const r = redactor.end();
    r.hits.forEach((n) => options.onEcho(n, "body"));
    await out(r.bytes);
  }
  if (chunked) await send(LAST_CHUNK);
  return { status, bytes, keepAlive };
}
