import assert from "node:assert/strict";
import { originFormHead, parseHead, readHead } from "./_http_head.ts";

function reader(chunks: string[]) {
  const parts = chunks.map((c) => new TextEncoder().encode(c));
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = parts.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) parts.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("readHead reassembles a head split across reads and keeps the bytes after it", async () => {
  const r = await readHead(
    reader(["CONNECT a.test:443 HT", "TP/1.1\r\nHost: a\r", "\n\r\nTLS"]),
    1024,
  );
  assert.ok(r.ok);
  assert.equal(r.head.method, "CONNECT");
  assert.equal(r.head.target, "a.test:443");
  assert.deepEqual(r.head.headers, [["Host", "a"]]);
  assert.equal(new TextDecoder().decode(r.rest), "TLS");
});

Deno.test("readHead reports too_large past the cap and closed on an empty connection", async () => {
  const big = await readHead(
    reader([`GET http://a/ HTTP/1.1\r\nX: ${"a".repeat(2000)}\r\n\r\n`]),
    512,
  );
  assert.deepEqual(big, { ok: false, failure: "too_large" });
  assert.deepEqual(await readHead(reader([]), 512), { ok: false, failure: "closed" });
  assert.deepEqual(await readHead(reader(["GET http://a/ HT"]), 512), {
    ok: false,
    failure: "malformed",
  });
});

Deno.test("parseHead refuses bad request lines, header names and bare CR in values", () => {
  assert.equal(parseHead("GET  http://a/ HTTP/1.1"), null);
  assert.equal(parseHead("GET http://a/ HTTP/2.0"), null);
  assert.equal(parseHead("GE(T http://a/ HTTP/1.1"), null);
  assert.equal(parseHead("GET http://a/ HTTP/1.1\r\nBad Name: x"), null);
  assert.equal(parseHead("GET http://a/ HTTP/1.1\r\nNoColon"), null);
  assert.equal(parseHead("GET http://a/ HTTP/1.1\r\nX: a\rb"), null);
  assert.notEqual(parseHead("get http://a/ HTTP/1.0\r\nX:  spaced  "), null);
});

Deno.test("originFormHead drops hop-by-hop headers, those named in Connection, and sets Host", () => {
  const head = parseHead(
    "POST http://a.test/x HTTP/1.1\r\nHost: evil.test\r\nConnection: keep-alive, X-Secret\r\n" +
      "X-Secret: s\r\nKeep-Alive: 5\r\nProxy-Authorization: Basic x\r\nUpgrade: h2c\r\n" +
      "Proxy-Connection: X-Other\r\nX-Other: o\r\nTE: trailers\r\nTrailer: X-T\r\n" +
      "Proxy-Authenticate: Basic\r\nTransfer-Encoding: chunked\r\nAccept: */*",
  )!;
  assert.equal(
    originFormHead(head, "a.test", "/x", "Transfer-Encoding: chunked"),
    "POST /x HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nTransfer-Encoding: chunked\r\n" +
      "Connection: close\r\n\r\n",
  );
});

Deno.test("originFormHead rebuilds the framing header from the parsed framing only", () => {
  const head = parseHead(
    "POST http://a.test/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n" +
      "Connection: content-length",
  )!;
  assert.equal(
    originFormHead(head, "a.test", "/", "Content-Length: 3"),
    "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
  );
});
