/**
 * Reading the server name (SNI) out of a TLS ClientHello (private), so the proxy can refuse a
 * tunnel whose TLS names a different host than its CONNECT line (domain fronting).
 *
 * The ClientHello is reassembled from as many handshake records as it was split into (a record
 * holds at most 2^14 bytes, and a client may fragment further), and the records from as many TCP
 * reads as they arrived in. Everything is bounded: the handshake message by
 * {@link MAX_CLIENT_HELLO_BYTES}, the records by {@link MAX_HELLO_RECORDS}, so the raw bytes by
 * {@link MAX_TUNNEL_START_BYTES}. Parsing is strict: any length that does not add up is
 * `malformed_client_hello`, never a guess.
 * @module
 */

/** The largest ClientHello handshake message accepted, its 4-byte header included (16 KiB). */
export const MAX_CLIENT_HELLO_BYTES = 16384;
/** The most TLS records a ClientHello may be split into. */
export const MAX_HELLO_RECORDS = 32;
/** The most raw bytes read before the ClientHello is complete (message + record headers). */
export const MAX_TUNNEL_START_BYTES: number = MAX_CLIENT_HELLO_BYTES + 5 * MAX_HELLO_RECORDS;
/** A TLS plaintext record carries at most 2^14 bytes (RFC 8446 §5.1). */
const MAX_RECORD = 16384;

/** Why the first bytes of a tunnel are refused. */
export type HelloRefusal =
  | "not_tls"
  | "not_client_hello"
  | "malformed_client_hello"
  | "client_hello_too_large";

/** What the first bytes of a tunnel say so far. */
export type HelloRead =
  | { state: "need_more" }
  | { state: "refused"; reason: HelloRefusal; detail: string }
  /** A complete ClientHello: its host_name (lowercase) or null when it names none. */
  | { state: "done"; sni: string | null };

const refused = (reason: HelloRefusal, detail: string): HelloRead => ({
  state: "refused",
  reason,
  detail,
});

/**
 * Reassembles the ClientHello from the handshake records at the start of `b` and reads its
 * server name: `need_more` until it is complete, `refused` as soon as the bytes cannot be one.
 */
export function readClientHello(b: Uint8Array): HelloRead {
  if (b.length >= 1 && b[0] !== 0x16) return refused("not_tls", "first byte is not a handshake");
  if (b.length >= 2 && b[1] !== 0x03) return refused("not_tls", "record version is not TLS");
  // Walk the record headers without copying (cheap to repeat after every read): the payload
  // spans so far, and the message's total length once its 4-byte header is in.
  const spans: [number, number][] = [];
  let payload = 0;
  let p = 0;
  let total = -1;
  const payloadByte = (i: number): number => {
    for (const [start, length] of spans) {
      if (i < length) return b[start + i]!;
      i -= length;
    }
    return 0;
  };
  while (true) {
    if (total < 0 && payload >= 4) {
      if (payloadByte(0) !== 1) {
        return refused("not_client_hello", `handshake type "${payloadByte(0)}"`);
      }
      total = 4 + ((payloadByte(1) << 16) | (payloadByte(2) << 8) | payloadByte(3));
      if (total > MAX_CLIENT_HELLO_BYTES) {
        return refused("client_hello_too_large", `"${total}" bytes`);
      }
    }
    if (total >= 0 && payload >= total) {
      const message = new Uint8Array(payload);
      let at = 0;
      for (const [start, length] of spans) {
        message.set(b.subarray(start, start + length), at);
        at += length;
      }
      return parseClientHello(message, total);
    }
    if (b.length - p < 5) return { state: "need_more" };
    if (b[p] !== 0x16 || b[p + 1] !== 0x03) {
      return refused("malformed_client_hello", `record ${spans.length} is not a handshake record`);
    }
    const length = (b[p + 3]! << 8) | b[p + 4]!;
    if (length === 0 || length > MAX_RECORD) {
      return refused("malformed_client_hello", `record ${spans.length} has length "${length}"`);
    }
    if (spans.length >= MAX_HELLO_RECORDS) {
      return refused("client_hello_too_large", `split into more than ${MAX_HELLO_RECORDS} records`);
    }
    if (b.length < p + 5 + length) return { state: "need_more" };
    spans.push([p + 5, length]);
    payload += length;
    p += 5 + length;
  }
}

/** Parses a complete ClientHello message (`m[0..total)`, header included) for its host_name. */
function parseClientHello(m: Uint8Array, total: number): HelloRead {
  const bad = (what: string) => refused("malformed_client_hello", what);
  const u16 = (i: number) => (m[i]! << 8) | m[i + 1]!;
  let p = 4 + 2 + 32; // header, legacy_version, random
  if (p + 1 > total) return bad("truncated before the session id");
  const session = m[p]!;
  if (session > 32) return bad(`session id length "${session}"`);
  p += 1 + session;
  if (p + 2 > total) return bad("truncated before the cipher suites");
  const suites = u16(p);
  if (suites < 2 || suites % 2 !== 0) return bad(`cipher suites length "${suites}"`);
  p += 2 + suites;
  if (p + 1 > total) return bad("truncated before the compression methods");
  const compression = m[p]!;
  if (compression < 1) return bad("no compression method");
  p += 1 + compression;
  if (p > total) return bad("truncated in the compression methods");
  if (p === total) return { state: "done", sni: null }; // no extensions at all
  if (p + 2 > total) return bad("truncated extensions length");
  const extEnd = p + 2 + u16(p);
  if (extEnd !== total) return bad("extensions length does not match the message");
  p += 2;
  let sni: string | null = null;
  let seen = false;
  while (p < extEnd) {
    if (p + 4 > extEnd) return bad("truncated extension header");
    const type = u16(p);
    const length = u16(p + 2);
    p += 4;
    if (p + length > extEnd) return bad(`extension "${type}" overruns the message`);
    if (type === 0) {
      if (seen) return bad("two server_name extensions");
      seen = true;
      const names = readServerNames(m, p, p + length);
      if (typeof names === "object") return names;
      sni = names;
    }
    p += length;
  }
  return { state: "done", sni };
}

/** The host_name of a server_name extension body `m[from..to)`, or a refusal. */
function readServerNames(m: Uint8Array, from: number, to: number): string | HelloRead {
  const bad = (what: string) => refused("malformed_client_hello", what);
  if (from + 2 > to) return bad("empty server_name extension");
  if (from + 2 + ((m[from]! << 8) | m[from + 1]!) !== to) {
    return bad("server_name list length does not match its extension");
  }
  let q = from + 2;
  let name: string | null = null;
  while (q < to) {
    if (q + 3 > to) return bad("truncated server_name entry");
    const type = m[q]!;
    const length = (m[q + 1]! << 8) | m[q + 2]!;
    q += 3;
    if (length === 0 || q + length > to) return bad(`server_name entry length "${length}"`);
    if (type === 0) {
      if (name !== null) return bad("two host_name entries");
      let text = "";
      for (let i = q; i < q + length; i++) text += String.fromCharCode(m[i]!);
      if (!/^[A-Za-z0-9._-]+$/.test(text)) return bad(`host_name "${text}" is not a DNS name`);
      name = text.toLowerCase();
    }
    q += length;
  }
  return name ?? bad("server_name extension without a host_name");
}
