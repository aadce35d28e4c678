/**
 * Reads a request body up to a bound (refusing early on a declared `Content-Length` over it), and
 * inflates a gzip body up to the same bound.
 *
 * @module
 */

/** Thrown when a body is over the bound. */
export class BodyTooLarge extends Error {
  /** The bound in bytes. */
  readonly limit: number;
  constructor(limit: number) {
    super(`the request is larger than the gate's limit of ${limit} bytes`);
    this.limit = limit;
  }
}

/** Thrown when a body does not arrive in time. */
export class BodyTooSlow extends Error {
  constructor(ms: number) {
    super(`the request body did not arrive within ${ms} ms`);
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  deadlineMs = 0,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  let late = false;
  const timer = deadlineMs > 0
    ? setTimeout(() => {
      late = true;
      reader.cancel().catch(() => {});
    }, deadlineMs)
    : undefined;
  try {
    return await collectFrom(reader, limit, () => late, deadlineMs);
  } finally {
    clearTimeout(timer);
  }
}

async function collectFrom(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  late: () => boolean,
  deadlineMs: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (late()) throw new BodyTooSlow(deadlineMs);
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The whole body of `req`, at most `limit` bytes, within `deadlineMs` (0: no deadline). */
export function readBounded(req: Request, limit: number, deadlineMs = 0): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) {
    req.body?.cancel().catch(() => {});
    return Promise.reject(new BodyTooLarge(limit));
  }
  if (req.body === null) return Promise.resolve(new Uint8Array(0));
  return collect(req.body, limit, deadlineMs);
}

/** `body` inflated from gzip, at most `limit` bytes. */
export function gunzipBounded(body: Uint8Array, limit: number): Promise<Uint8Array> {
  const stream = new Blob([body as BlobPart]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return collect(stream, limit);
}
