/**
 * Reading and parsing an HTTP/1.x request head for the egress proxy (private).
 * @module
 */

/** A parsed request head. */
export interface RequestHead {
  /** Upper-case method. */
  method: string;
  /** The request target exactly as sent. */
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
}

/** Why reading a head failed. */
export type HeadFailure = "too_large" | "closed" | "malformed";

/** Result of {@link readHead}. */
export type HeadRead =
  | { ok: true; head: RequestHead; rest: Uint8Array }
  | { ok: false; failure: HeadFailure };

const CRLFCRLF = [13, 10, 13, 10];

function indexOfEnd(buf: Uint8Array, length: number, from: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < length; i++) {
    if (
      buf[i] === CRLFCRLF[0] && buf[i + 1] === CRLFCRLF[1] && buf[i + 2] === CRLFCRLF[2] &&
      buf[i + 3] === CRLFCRLF[3]
    ) return i;
  }
  return -1;
}

/**
 * Reads from `conn` until the end of the head (`\r\n\r\n`), at most `limit` bytes. Returns the
 * parsed head and whatever was read past it (the start of a body or a TLS ClientHello).
 */
export async function readHead(
  conn: { read(p: Uint8Array): Promise<number | null> },
  limit: number,
): Promise<HeadRead> {
  const buf = new Uint8Array(limit + 4);
  let length = 0;
  while (true) {
    if (length >= buf.length) return { ok: false, failure: "too_large" };
    let n: number | null;
    try {
      n = await conn.read(buf.subarray(length));
    } catch {
      n = null; // closed under us (idle timeout) or reset
    }
    if (n === null) return { ok: false, failure: length === 0 ? "closed" : "malformed" };
    const before = length;
    length += n;
    const end = indexOfEnd(buf, length, before);
    if (end >= 0) {
      if (end > limit) return { ok: false, failure: "too_large" };
      const head = parseHead(new TextDecoder("latin1").decode(buf.subarray(0, end)));
      if (head === null) return { ok: false, failure: "malformed" };
      return { ok: true, head, rest: buf.slice(end + 4, length) };
    }
    if (length > limit) return { ok: false, failure: "too_large" };
  }
}

/** Whether `text` has a control character (or, with `spaceToo`, a space or DEL). */
function hasControl(text: string, spaceToo: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return true;
    if (spaceToo && (c <= 0x20 || c === 0x7f)) return true;
  }
  return false;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The bytes of a latin1 string (one byte per char code). */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Parses the text of a head (decoded as latin1, without the final blank line); null when
 * malformed. The request target is re-read as UTF-8 so an IDNA host sent raw still matches.
 */
export function parseHead(text: string): RequestHead | null {
  const lines = text.split("\r\n");
  const first = lines.shift() ?? "";
  const parts = first.split(" ");
  if (parts.length !== 3) return null;
  const [method, rawTarget, version] = parts as [string, string, string];
  let target: string;
  try {
    target = new TextDecoder("utf-8", { fatal: true }).decode(latin1Bytes(rawTarget));
  } catch {
    return null;
  }
  if (!TOKEN.test(method) || target === "" || !/^HTTP\/1\.[01]$/.test(version)) return null;
  if (hasControl(target, true)) return null;
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return null;
    const value = line.slice(colon + 1).trim();
    if (hasControl(value, false)) return null;
    headers.push([name, value]);
  }
  return { method: method.toUpperCase(), target, version, headers };
}

/**
 * Headers that belong to one hop and are never forwarded (RFC 9110 §7.6.1, plus the proxy's
 * own). `Host` is rebuilt from the URL; the framing headers are rebuilt from the parsed framing.
 */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
  "host",
  "content-length",
  "transfer-encoding",
]);

/**
 * Builds the origin-form head to send upstream: `METHOD path HTTP/1.1`, `Host` from the URL,
 * hop-by-hop headers (and any named in `Connection` or `Proxy-Connection`) dropped, the body's
 * framing header (`framingLine`, e.g. `Content-Length: 5`) and `Connection: close` added.
 */
export function originFormHead(
  head: RequestHead,
  hostHeader: string,
  path: string,
  framingLine: string | null = null,
): string {
  const named = new Set<string>();
  for (const [name, value] of head.headers) {
    if (name.toLowerCase() === "connection" || name.toLowerCase() === "proxy-connection") {
      for (const token of value.split(",")) named.add(token.trim().toLowerCase());
    }
  }
  let out = `${head.method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\n`;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (NOT_FORWARDED.has(lower) || named.has(lower)) continue;
    out += `${name}: ${value}\r\n`;
  }
  if (framingLine !== null) out += `${framingLine}\r\n`;
  return out + "Connection: close\r\n\r\n";
}

/** A minimal response, with an optional short ASCII body (a refusal the model can read). */
export function statusResponse(
  status: number,
  reason: string,
  headers: Record<string, string> = {},
  body = "",
): Uint8Array {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const text = body === "" ? "" : "Content-Type: text/plain; charset=us-ascii\r\n";
  const bytes = new TextEncoder().encode(body);
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${reason}\r\n${extra}${text}Content-Length: ${bytes.length}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
