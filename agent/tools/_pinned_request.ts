/**
 * One HTTP(S) request sent to an already-checked IP address: the socket goes to the pinned IP,
 * while SNI, certificate verification and the Host header use the URL's name. Redirects are not
 * followed; the decompressed body is capped.
 *
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import * as zlib from "node:zlib";
import type { Readable } from "node:stream";
import { SecurityBlock } from "../../core/errors.ts";
import { parseIpLiteral } from "../../core/host_normalize.ts";
import { concatBytes } from "../../core/bytes.ts";

/** Where a socket for a pinned address actually goes. */
export interface DialTarget {
  /** IP address to connect to. */
  ip: string;
  /** TCP port. */
  port: number;
}

/** Maps the pinned address to the socket address dialled. */
export type Dialer = (pinned: DialTarget) => DialTarget;

/** One request to a pinned address. */
export interface PinnedRequest {
  /** The URL (its host is the name used for SNI and Host). */
  url: URL;
  /** The checked address to dial. */
  address: string;
  /** Maps the pinned address to the socket address; identity by default. */
  dialer?: Dialer;
  /** Decompressed body cap in bytes. */
  maxBytes: number;
  /** Extra PEM roots trusted in addition to the system's. */
  caCerts?: string[];
  /** Aborts the request. */
  signal: AbortSignal;
}

/** A response without its redirects followed. */
export interface PinnedResponse {
  /** HTTP status. */
  status: number;
  /** `Location` header, if any. */
  location: string | null;
  /** Decompressed, decoded body. */
  body: string;
}

/** A decoder for the charset a Content-Type names (UTF-8 when absent or unknown). */
export function decoderFor(contentType: string | undefined): TextDecoder {
  const m = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "");
  try {
    return new TextDecoder(m?.[1] ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

function decompressor(
  encoding: string | undefined,
): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

function oversized(url: URL, maxBytes: number): SecurityBlock {
  return new SecurityBlock(
    `Cannot fetch "${url.href}": the body is larger than ${maxBytes} bytes`,
    { kind: "oversized", target: url.href },
  );
}

/**
 * Reads `source` (a Node stream or a web `ReadableStream`) to the end, throwing `oversized()` once
 * more than `maxBytes` arrive; leaving the loop early destroys (cancels) the source.
 */
export async function readCapped(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  oversized: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const bytes of source) {
    total += bytes.byteLength;
    if (total > maxBytes) throw oversized();
    chunks.push(bytes);
  }
  return concatBytes(chunks, total);
}

/**
 * Sends one GET to `request.address` (through `request.dialer`) and reads the capped body.
 * Throws `SecurityBlock` kind `"oversized"` past the cap, and the transport's error otherwise.
 */
export function pinnedRequest(request: PinnedRequest): Promise<PinnedResponse> {
  const { url, maxBytes, signal } = request;
  const isHttps = url.protocol === "https:";
  const name = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const nameIsIp = parseIpLiteral(name) !== null;
  const pinned: DialTarget = {
    ip: request.address,
    port: Number(url.port) || (isHttps ? 443 : 80),
  };
  const target = request.dialer ? request.dialer(pinned) : pinned;
  const options: https.RequestOptions = {
    host: target.ip,
    port: target.port,
    path: `${url.pathname}${url.search}`,
    method: "GET",
    agent: false,
    headers: {
      "Host": url.host,
      "User-Agent": "zu-http-fetch/0.1",
      "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
      "Accept-Encoding": "gzip, deflate, br",
      "Connection": "close",
    },
  };
  if (isHttps) {
    // SNI carries no trailing dot, and never an IP address.
    if (!nameIsIp) options.servername = name.endsWith(".") ? name.slice(0, -1) : name;
    if (request.caCerts && request.caCerts.length > 0) {
      options.ca = [...tls.rootCertificates, ...request.caCerts];
    }
  }
  return new Promise<PinnedResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      req.destroy(
        signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)),
      );
    };
    const done = (): void => signal.removeEventListener("abort", onAbort);
    const req = (isHttps ? https : http).request(options, (res) => {
      const declared = Number(res.headers["content-length"]);
      const unzip = decompressor(res.headers["content-encoding"]);
      if (unzip === null && Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        done();
        reject(oversized(url, maxBytes));
        return;
      }
      const stream: Readable = unzip === null ? res : res.pipe(unzip);
      if (unzip !== null) res.on("error", (e) => unzip.destroy(e));
      readCapped(stream, maxBytes, () => oversized(url, maxBytes)).then(
        (bytes) => {
          done();
          const location = res.headers.location;
          resolve({
            status: res.statusCode ?? 0,
            location: typeof location === "string" ? location : null,
            body: decoderFor(res.headers["content-type"]).decode(bytes),
          });
        },
        (e) => {
          res.destroy();
          done();
          reject(signal.aborted ? signal.reason : e);
        },
      );
    });
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("error", (e) => {
      done();
      reject(signal.aborted ? signal.reason : e);
    });
    req.end();
  });
}
