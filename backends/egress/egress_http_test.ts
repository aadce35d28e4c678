/**
 * Attack tests of the proxy's absolute-form HTTP path, loopback only: one request per client
 * connection (a kept-alive or pipelined second request never reaches any origin), hop-by-hop
 * and proxy headers stripped, body framing decided once and refused when ambiguous.
 *
 * Two loopback origins stand behind two public-looking addresses: `allowed.test` (allowlisted)
 * and `forbidden.test` (not). The test dialer would reach either, so only the proxy's own
 * checks keep the forbidden one unreached.
 */
import assert from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import type { ProxyLogLine } from "./egress_proxy.ts";
import { rawRequest, readAllText } from "./_test_util.ts";

const ALLOWED_IP = "93.184.216.34";
const FORBIDDEN_IP = "93.184.216.35";

interface Seen {
  method: string;
  path: string;
  headers: [string, string][];
  body: string;
}

function startEcho(): { port: number; seen: Seen[]; close: () => Promise<void> } {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const s: Seen = {
      method: req.method,
      path: url.pathname,
      headers: [...req.headers],
      body: await req.text().catch(() => "<aborted>"),
    };
    seen.push(s);
    return Response.json(s);
  });
  return { port: server.addr.port, seen, close: () => server.shutdown() };
}

async function withTwoOrigins(
  fn: (ctx: {
    port: number;
    lines: ProxyLogLine[];
    allowed: Seen[];
    forbidden: Seen[];
    dials: string[];
  }) => Promise<void>,
): Promise<void> {
  const allowed = startEcho();
  const forbidden = startEcho();
  const lines: ProxyLogLine[] = [];
  const dials: string[] = [];
  const proxy = await startEgressProxy({
    allowlist: ["allowed.test"],
    resolver: (host) =>
      host === "allowed.test"
        ? Promise.resolve([ALLOWED_IP])
        : host === "forbidden.test"
        ? Promise.resolve([FORBIDDEN_IP])
        : Promise.reject(new Error("NX")),
    dialer: (t) => {
      dials.push(t.hostname);
      const port = t.hostname === ALLOWED_IP
        ? allowed.port
        : t.hostname === FORBIDDEN_IP
        ? forbidden.port
        : null;
      if (port === null) return Promise.reject(new Error(`test dialer refuses "${t.hostname}"`));
      return Deno.connect({ hostname: "127.0.0.1", port });
    },
    log: (l) => lines.push(l),
    idleTimeoutMs: 5000,
  });
  try {
    await fn({ port: proxy.port, lines, allowed: allowed.seen, forbidden: forbidden.seen, dials });
  } finally {
    await proxy.close();
    await allowed.close();
    await forbidden.close();
  }
}

const decisions = (lines: ProxyLogLine[]) => lines.filter((l) => l.event === "proxy.decision");
const enc = (t: string) => new TextEncoder().encode(t);

Deno.test("A pipelined second request to a forbidden host on a kept-alive connection reaches no origin", async () => {
  await withTwoOrigins(async ({ port, lines, allowed, forbidden, dials }) => {
    const reply = await rawRequest(
      port,
      "GET http://allowed.test/first HTTP/1.1\r\nHost: allowed.test\r\nConnection: keep-alive\r\n\r\n" +
        "GET http://forbidden.test/second HTTP/1.1\r\nHost: forbidden.test\r\n" +
        "Proxy-Authorization: Basic c2VjcmV0\r\n\r\n",
    );
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.equal(reply.match(/HTTP\/1\.1 /g)?.length, 1, "exactly one response");
    assert.deepEqual(allowed.map((s) => s.path), ["/first"]);
    assert.deepEqual(forbidden, []);
    assert.deepEqual(dials, [ALLOWED_IP]);
    const d = decisions(lines);
    assert.equal(d.length, 1);
    assert.match(String(d[0]!.detail), /dropped "\d+" bytes sent after the request/);
  });
});

Deno.test("A second request sent after the first response finds the connection closed", async () => {
  await withTwoOrigins(async ({ port, allowed, forbidden, dials }) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        enc(
          "GET http://allowed.test/one HTTP/1.1\r\nHost: allowed.test\r\nConnection: keep-alive\r\n\r\n",
        ),
      );
      const first = await readAllText(conn); // the proxy closes after one response
      assert.match(first, /^HTTP\/1\.1 200/);
      const second = await conn
        .write(enc("GET http://forbidden.test/two HTTP/1.1\r\nHost: forbidden.test\r\n\r\n"))
        .then(() => readAllText(conn), () => "");
      assert.equal(second, "");
    } finally {
      conn.close();
    }
    assert.deepEqual(allowed.map((s) => s.path), ["/one"]);
    assert.deepEqual(forbidden, []);
    assert.deepEqual(dials, [ALLOWED_IP]);
  });
});

Deno.test("The proxy strips Proxy-Authorization and every hop-by-hop header before forwarding", async () => {
  await withTwoOrigins(async ({ port, allowed }) => {
    const reply = await rawRequest(
      port,
      "POST http://allowed.test/h HTTP/1.1\r\nHost: evil.test\r\n" +
        "Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Authenticate: Basic\r\n" +
        "Connection: keep-alive, X-Named-Hop\r\nProxy-Connection: keep-alive, X-Proxy-Named\r\n" +
        "Keep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-Checksum\r\nUpgrade: websocket\r\n" +
        "X-Named-Hop: secret\r\nX-Proxy-Named: secret\r\nX-Kept: yes\r\nContent-Length: 4\r\n\r\n" +
        "body",
    );
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.equal(allowed.length, 1);
    const got = Object.fromEntries(allowed[0]!.headers);
    assert.deepEqual(Object.keys(got).sort(), ["connection", "content-length", "host", "x-kept"]);
    assert.equal(got.connection, "close");
    assert.equal(got.host, "allowed.test");
    assert.equal(got["content-length"], "4");
    assert.equal(allowed[0]!.body, "body");
  });
});

Deno.test("A chunked body is forwarded whole and re-framed, its extensions and trailers dropped", async () => {
  await withTwoOrigins(async ({ port, allowed }) => {
    const reply = await rawRequest(
      port,
      "POST http://allowed.test/c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.equal(allowed[0]!.body, "hello, chunked!");
    assert.equal(Object.fromEntries(allowed[0]!.headers)["transfer-encoding"], "chunked");
  });
});

Deno.test("Ambiguous body framing is refused with 400 before anything is dialed", async () => {
  const heads = [
    "Content-Length: 3\r\nTransfer-Encoding: chunked",
    "Content-Length: 3\r\nContent-Length: 4",
    "Content-Length: 3, 3",
    "Content-Length: -1",
    "Transfer-Encoding: gzip, chunked",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
  ];
  await withTwoOrigins(async ({ port, lines, allowed, dials }) => {
    for (const h of heads) {
      const reply = await rawRequest(
        port,
        `POST http://allowed.test/ HTTP/1.1\r\nHost: a\r\n${h}\r\n\r\nabc`,
      );
      assert.match(reply, /^HTTP\/1\.1 400/, h);
    }
    assert.match(
      await rawRequest(
        port,
        "POST http://allowed.test/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      ),
      /^HTTP\/1\.1 400/,
    );
    assert.deepEqual(dials, []);
    assert.deepEqual(allowed, []);
    assert.deepEqual(
      decisions(lines).map((l) => l.reason),
      Array(heads.length + 1).fill("bad_framing"),
    );
  });
});

Deno.test("A malformed chunked body is cut off and never completed upstream", async () => {
  await withTwoOrigins(async ({ port, lines, allowed }) => {
    await rawRequest(
      port,
      "POST http://allowed.test/m HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "zz\r\nhello\r\n0\r\n\r\n",
    );
    assert.ok(allowed.every((s) => s.body !== "hello"));
    assert.match(String(decisions(lines)[0]!.detail), /malformed body: chunk size line "zz"/);
  });
});
