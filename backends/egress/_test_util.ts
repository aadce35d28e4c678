/**
 * Helpers shared by the egress tests (private): a loopback origin, raw proxy clients.
 * @module
 */
import { concatBytes } from "../../core/bytes.ts";

/** Starts a loopback origin that answers `origin ok <method> <path> host=<Host>`. */
export function startOrigin(): { port: number; close: () => Promise<void>; hits: string[] } {
  const hits: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const url = new URL(req.url);
      hits.push(`${req.method} ${url.pathname}`);
      return new Response(
        `origin ok ${req.method} ${url.pathname}${url.search} host=${req.headers.get("host")}` +
          ` proxy-authorization=${req.headers.get("proxy-authorization")}`,
      );
    },
  );
  return { port: server.addr.port, close: () => server.shutdown(), hits };
}

/** Reads everything until EOF (bounded). */
export async function readAllText(conn: Deno.Conn, limit = 1 << 20): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(16384);
  while (total < limit) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  return new TextDecoder().decode(concatBytes(chunks, total));
}

/** Reads until the end of a response head; returns the head text. */
export async function readResponseHead(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(1);
  for (let i = 0; i < 65536; i++) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += String.fromCharCode(buf[0]!);
    if (text.endsWith("\r\n\r\n")) break;
  }
  return text;
}

/** Sends raw bytes to the proxy and returns the whole response (the proxy closes after it). */
export async function rawRequest(port: number, request: string | Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const data = typeof request === "string" ? new TextEncoder().encode(request) : request;
    let at = 0;
    while (at < data.length) at += await conn.write(data.subarray(at));
    return await readAllText(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/** CONNECTs through the proxy, then sends a plain HTTP GET inside the tunnel. */
export async function connectThenGet(
  port: number,
  authority: string,
  hostHeader = authority,
): Promise<{ head: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`),
    );
    const head = await readResponseHead(conn);
    if (!head.startsWith("HTTP/1.1 200")) return { head, body: "" };
    await conn.write(
      new TextEncoder().encode(
        `GET /inside HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
      ),
    );
    return { head, body: await readAllText(conn) };
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}
