/**
 * Reading the server name (SNI) out of a TLS ClientHello (private), so the proxy can refuse a
 * tunnel whose TLS names a different host than its CONNECT line (domain fronting).
 * @module
 */

/** What the first bytes of a tunnel say. */
export type SniRead =
  | { state: "need_more" }
  | { state: "not_tls" }
  | { state: "done"; sni: string | null };

/** The most bytes read while waiting for a complete first TLS record. */
export const MAX_CLIENT_HELLO = 16384 + 5;

/**
 * Parses the first TLS record in `b`: `need_more` until it is complete, `not_tls` when the
 * stream is not TLS, else the ClientHello's host_name (lowercase) or null when it has none.
 */
export function readSni(b: Uint8Array): SniRead {
  if (b.length < 1) return { state: "need_more" };
  if (b[0] !== 0x16) return { state: "not_tls" };
  if (b.length < 5) return { state: "need_more" };
  const u16 = (i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  const recordLength = u16(3);
  const end = 5 + recordLength;
  if (recordLength > 16384 + 2048) return { state: "done", sni: null };
  if (b.length < end) return { state: "need_more" };
  let p = 5;
  if (b[p] !== 1) return { state: "done", sni: null }; // not a ClientHello
  p += 4; // type + 24-bit length
  p += 2 + 32; // legacy_version + random
  if (p >= end) return { state: "done", sni: null };
  p += 1 + (b[p] ?? 0); // session id
  if (p + 2 > end) return { state: "done", sni: null };
  p += 2 + u16(p); // cipher suites
  if (p >= end) return { state: "done", sni: null };
  p += 1 + (b[p] ?? 0); // compression methods
  if (p + 2 > end) return { state: "done", sni: null };
  const extEnd = Math.min(p + 2 + u16(p), end);
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16(p);
    const length = u16(p + 2);
    p += 4;
    if (type === 0) {
      const listEnd = Math.min(p + 2 + u16(p), p + length, extEnd);
      let q = p + 2;
      while (q + 3 <= listEnd) {
        const nameType = b[q];
        const nameLength = u16(q + 1);
        q += 3;
        if (q + nameLength > listEnd) break;
        if (nameType === 0) {
          let name = "";
          for (let i = q; i < q + nameLength; i++) name += String.fromCharCode(b[i]!);
          return { state: "done", sni: name.toLowerCase() };
        }
        q += nameLength;
      }
      return { state: "done", sni: null };
    }
    p += length;
  }
  return { state: "done", sni: null };
}
