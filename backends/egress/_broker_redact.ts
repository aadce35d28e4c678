/**
 * The broker's response-side helpers: a streaming redactor that replaces every occurrence of a
 * secret's bytes in a body (holding back only a tail that could still begin a match, so an SSE
 * stream is not delayed), and the header lists the broker drops.
 *
 * @module
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "[zu-redacted]";

const enc = new TextEncoder();

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1 and friends). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Client headers that carry a credential: dropped before the broker adds the real one. */
export const CLIENT_CREDENTIALS: ReadonlySet<string> = new Set([
  "authorization",
  "x-api-key",
  "proxy-authorization",
  "cookie",
]);

/** The header names a `Connection` header lists (they are hop-by-hop too). */
export function connectionListed(headers: Headers): Set<string> {
  const out = new Set<string>();
  for (const part of (headers.get("connection") ?? "").split(",")) {
    const name = part.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  outer: for (
    let i = hay.indexOf(first as number, from);
    i !== -1 && i <= last;
    i = hay.indexOf(first as number, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Length of the longest suffix of `buf` that is a proper prefix of `needle`. */
function partialTail(buf: Uint8Array, needle: Uint8Array): number {
  const max = Math.min(needle.length - 1, buf.length);
  for (let n = max; n > 0; n--) {
    let ok = true;
    for (let j = 0; j < n; j++) {
      if (buf[buf.length - n + j] !== needle[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return n;
  }
  return 0;
}

function replaceAll(buf: Uint8Array, needle: Uint8Array, marker: Uint8Array): [Uint8Array, number] {
  let at = indexOf(buf, needle, 0);
  if (at === -1) return [buf, 0];
  const parts: Uint8Array[] = [];
  let from = 0;
  let hits = 0;
  while (at !== -1) {
    parts.push(buf.subarray(from, at), marker);
    hits++;
    from = at + needle.length;
    at = indexOf(buf, needle, from);
  }
  parts.push(buf.subarray(from));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return [out, hits];
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A stream that replaces every occurrence of `secret` with {@link REDACTED}, across chunk
 * boundaries, calling `onHit` once on the first one. Only a tail that is a prefix of `secret` is
 * held back, so bytes that cannot start a match pass at once.
 */
export function redactingStream(
  secret: string,
  onHit: () => void,
): TransformStream<Uint8Array, Uint8Array> {
  const needle = enc.encode(secret);
  if (needle.length === 0) return new TransformStream();
  const marker = enc.encode(REDACTED);
  let held: Uint8Array = new Uint8Array(0);
  let reported = false;
  const hit = (n: number) => {
    if (n > 0 && !reported) {
      reported = true;
      onHit();
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      const [clean, hits] = replaceAll(join(held, chunk), needle, marker);
      hit(hits);
      const keep = partialTail(clean, needle);
      held = clean.slice(clean.length - keep);
      if (clean.length - keep > 0) controller.enqueue(clean.subarray(0, clean.length - keep));
    },
    flush(controller) {
      if (held.length) controller.enqueue(held);
    },
  });
}

/** `value` with every occurrence of `secret` replaced, and whether there was one. */
export function redactText(value: string, secret: string): { text: string; hit: boolean } {
  if (!secret || !value.includes(secret)) return { text: value, hit: false };
  return { text: value.split(secret).join(REDACTED), hit: true };
}

/** The client's request headers minus credentials and hop-by-hop ones, for the upstream. */
export function upstreamHeaders(req: Request): Headers {
  const drop = connectionListed(req.headers);
  const out = new Headers();
  for (const [k, v] of req.headers) {
    if (HOP_BY_HOP.has(k) || CLIENT_CREDENTIALS.has(k) || drop.has(k)) continue;
    if (k === "host" || k === "content-length" || k === "accept-encoding") continue;
    out.set(k, v);
  }
  // Only encodings fetch decodes itself: the body reaching the scan is always plain.
  out.set("accept-encoding", "gzip, br");
  return out;
}

/**
 * The upstream's response headers for the client: hop-by-hop, length and encoding dropped (fetch
 * decoded the body), and every occurrence of `secret` redacted (`echoed` says there was one).
 */
export function clientHeaders(
  from: Headers,
  secret: string,
): { headers: Headers; echoed: boolean } {
  const drop = connectionListed(from);
  const headers = new Headers();
  let echoed = false;
  const add = (k: string, v: string) => {
    const r = secret ? redactText(v, secret) : { text: v, hit: false };
    echoed ||= r.hit;
    headers.append(k, r.text);
  };
  for (const [k, v] of from) {
    if (HOP_BY_HOP.has(k) || drop.has(k)) continue;
    if (k === "content-length" || k === "content-encoding" || k === "set-cookie") continue;
    add(k, v);
  }
  for (const c of from.getSetCookie()) add("set-cookie", c);
  return { headers, echoed };
}
