import { deepEqual, equal, match, ok } from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import { createRunCa, type LeafCert } from "./run_ca.ts";
import { type TerminatedTls, terminateTls } from "./tls_terminate.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A loopback server that, like the proxy, first reads `prefixBytes` of the client's stream
 * itself and then hands them with the connection to `terminateTls`; `serve` runs on the result.
 */
function startTerminator(
  leaf: LeafCert,
  serve: (t: TerminatedTls) => Promise<void>,
  options: { prefixBytes?: number; timeoutMs?: number } = {},
): {
  port: number;
  results: Promise<TerminatedTls | Error>[];
  close: () => void;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const results: Promise<TerminatedTls | Error>[] = [];
  (async () => {
    for await (const conn of listener) {
      results.push((async () => {
        const want = options.prefixBytes ?? 5;
        const prefix = new Uint8Array(want);
        let got = 0;
        while (got < want) {
          const n = await conn.read(prefix.subarray(got));
          if (n === null) break;
          got += n;
        }
        try {
          const t = await terminateTls(conn, prefix.subarray(0, got), leaf, {
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          });
          await serve(t);
          return t;
        } catch (err) {
          return err as Error;
        }
      })());
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    results,
    close: () => listener.close(),
  };
}

async function readAll(r: { read(p: Uint8Array): Promise<number | null> }): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await r.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads one HTTP/1.1 request head (up to the blank line). */
async function readHead(t: TerminatedTls): Promise<string> {
  let text = "";
  const buf = new Uint8Array(1024);
  while (!text.includes("\r\n\r\n")) {
    const n = await t.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

async function answer(t: TerminatedTls, body: string): Promise<void> {
  await t.write(
    enc.encode(
      `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    ),
  );
  await t.closeWrite();
}

Deno.test("terminateTls: a Deno client completes a handshake for localhost and the request arrives decrypted", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  const heads: string[] = [];
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    heads.push(await readHead(t));
    await answer(t, "hello");
  });
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: srv.port,
      caCerts: [ca.certPem],
    });
    await conn.write(
      enc.encode("GET /secret-path HTTP/1.1\r\nhost: localhost\r\nx-canary: zu-canary-1\r\n\r\n"),
    );
    const reply = dec.decode(await readAll(conn));
    conn.close();
    match(reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
    const t = await srv.results[0]!;
    ok(!(t instanceof Error), String(t));
    equal(t.sni, "localhost");
    equal(t.alpn, null, "the client offered no ALPN");
    equal(
      heads[0],
      "GET /secret-path HTTP/1.1\r\nhost: localhost\r\nx-canary: zu-canary-1\r\n\r\n",
    );
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: fetch to 127.0.0.1 with the run CA gets the answer (no SNI for an address)", async () => {
  const ca = createRunCa({ hosts: ["127.0.0.1"] });
  const heads: string[] = [];
  const srv = startTerminator(ca.mintLeaf("127.0.0.1"), async (t) => {
    heads.push(await readHead(t));
    await answer(t, "via-ip");
  });
  const client = Deno.createHttpClient({ caCerts: [ca.certPem] });
  try {
    const r = await fetch(`https://127.0.0.1:${srv.port}/v1/x?q=1`, { client });
    equal(r.status, 200);
    equal(await r.text(), "via-ip");
    const t = await srv.results[0]!;
    ok(!(t instanceof Error), String(t));
    equal(t.sni, null);
    equal(t.alpn, "http/1.1");
    match(heads[0]!, /^GET \/v1\/x\?q=1 HTTP\/1\.1\r\n/);
  } finally {
    client.close();
    srv.close();
  }
});

Deno.test("terminateTls: a client offering h2 negotiates http/1.1 and the SNI is reported", async () => {
  const ca = createRunCa({ hosts: ["*.bound.test", "localhost"] });
  const srv = startTerminator(ca.mintLeaf("api.bound.test"), (t) => answer(t, "h1"), {
    prefixBytes: 0,
  });
  try {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const conn = await Deno.startTls(tcp, {
      hostname: "api.bound.test",
      caCerts: [ca.certPem],
      alpnProtocols: ["h2", "http/1.1"],
    });
    const info = await conn.handshake();
    equal(info.alpnProtocol, "http/1.1");
    const reply = dec.decode(await readAll(conn));
    conn.close();
    match(reply, /h1$/);
    const t = await srv.results[0]!;
    ok(!(t instanceof Error), String(t));
    equal(t.sni, "api.bound.test");
    equal(t.alpn, "http/1.1");
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: a handshake that never comes times out, bounded, and closes the connection", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  const srv = startTerminator(ca.mintLeaf("localhost"), () => Promise.resolve(), {
    prefixBytes: 0,
    timeoutMs: 150,
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const started = performance.now();
    // The server closes the silent connection: the client's read ends.
    const n = await conn.read(new Uint8Array(16)).catch(() => null);
    const elapsed = performance.now() - started;
    conn.close();
    equal(n, null);
    const err = await srv.results[0]!;
    ok(err instanceof Deno.errors.TimedOut, String(err));
    equal((err as Error).message, "TLS handshake timed out after 150 ms");
    ok(elapsed >= 100 && elapsed < 5000, `closed after ${elapsed} ms`);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: bytes that are not TLS fail the handshake at once", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  const srv = startTerminator(ca.mintLeaf("localhost"), () => Promise.resolve(), {
    timeoutMs: 5000,
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    await conn.write(enc.encode("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
    await readAll({ read: (p) => conn.read(p).catch(() => null) });
    conn.close();
    const err = await srv.results[0]!;
    ok(err instanceof Error && !(err instanceof Deno.errors.TimedOut), String(err));
    match(err.message, /^TLS handshake failed: /);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: the client's half-close ends the readable side and the answer still goes out", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  let received = "";
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    received = dec.decode(await readAll(t)); // ends only when the client half-closes
    await answer(t, `got ${received.length}`);
  });
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: srv.port,
      caCerts: [ca.certPem],
    });
    await conn.write(enc.encode("PING"));
    await conn.closeWrite();
    const reply = dec.decode(await readAll(conn));
    conn.close();
    equal(received, "PING");
    match(reply, /got 4$/);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: close() destroys both sides", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  let after: unknown = "unset";
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    await readHead(t);
    t.close();
    t.close(); // idempotent
    after = await t.write(enc.encode("x")).catch((e) => e);
  });
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: srv.port,
      caCerts: [ca.certPem],
    });
    await conn.write(enc.encode("GET / HTTP/1.1\r\n\r\n"));
    const rest = await readAll({ read: (p) => conn.read(p).catch(() => null) });
    conn.close();
    equal(rest.length, 0);
    await srv.results[0];
    ok(after instanceof Deno.errors.BrokenPipe, String(after));
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: streams carry megabytes both ways with backpressure, byte for byte", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  const up = new Uint8Array(randomBytes(1 << 20));
  const down = new Uint8Array(randomBytes(4 << 20));
  let receivedUp = new Uint8Array();
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = t.readable.getReader();
    while (total < up.length) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value.slice());
      total += value.length;
    }
    reader.releaseLock();
    receivedUp = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      receivedUp.set(c, at);
      at += c.length;
    }
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < down.length; i += 100_000) {
          controller.enqueue(down.slice(i, i + 100_000));
        }
        controller.close();
      },
    });
    await source.pipeTo(t.writable);
  });
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: srv.port,
      caCerts: [ca.certPem],
    });
    const writing = (async () => {
      for (let i = 0; i < up.length; i += 16384) {
        await conn.write(up.subarray(i, i + 16384));
      }
    })();
    // The client reads nothing until it has written everything: the server's writes must wait.
    await writing;
    const got = await readAll(conn);
    conn.close();
    equal(receivedUp.length, up.length);
    deepEqual(receivedUp, up);
    equal(got.length, down.length);
    deepEqual(got, down);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls rejects an unusable leaf and closes the connection", async () => {
  const srv = startTerminator({ certPem: "nope", keyPem: "nope" }, () => Promise.resolve());
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    await conn.write(new Uint8Array([22, 3, 1, 0, 1]));
    const n = await conn.read(new Uint8Array(8)).catch(() => null);
    conn.close();
    equal(n, null);
    ok((await srv.results[0]!) instanceof Error);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: write() waits while the client reads nothing, then everything arrives", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  const TOTAL = 48 << 20;
  const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  let written = 0;
  let finished = false;
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    while (written < TOTAL) written += await t.write(chunk);
    finished = true;
    await t.closeWrite();
  });
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: srv.port,
      caCerts: [ca.certPem],
    });
    await conn.handshake();
    // Poll (bounded) until the server's progress stops while this client reads nothing.
    let last = -1;
    let steady = 0;
    for (let i = 0; i < 200 && steady < 4 && !finished; i++) {
      await new Promise((r) => setTimeout(r, 25));
      steady = written === last && written > 0 ? steady + 1 : 0;
      last = written;
    }
    ok(!finished && written < TOTAL, `the server wrote ${written} of ${TOTAL} without a reader`);
    const got = await readAll(conn);
    conn.close();
    equal(got.length, TOTAL);
    ok(finished);
    for (let i = 0; i < got.length; i += 1_000_003) equal(got[i], (i % chunk.length) & 0xff);
  } finally {
    srv.close();
  }
});

Deno.test("terminateTls: a corrupt record after the handshake fails the read and closes the connection", async () => {
  const ca = createRunCa({ hosts: ["localhost"] });
  let outcome: unknown = "unset";
  const srv = startTerminator(ca.mintLeaf("localhost"), async (t) => {
    outcome = await t.read(new Uint8Array(1024)).then((n) => `read ${n}`, (e) => e);
  });
  const raw = net.connect({ host: "127.0.0.1", port: srv.port });
  try {
    const secure = tls.connect({ socket: raw, servername: "localhost", ca: ca.certPem });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    secure.on("error", () => {});
    const closed = new Promise<void>((resolve) => raw.once("close", () => resolve()));
    // An application-data record whose authentication tag cannot be right.
    raw.write(new Uint8Array([23, 3, 3, 0, 32, ...new Uint8Array(randomBytes(32))]));
    await closed;
    const t = await srv.results[0]!;
    ok(!(t instanceof Error), String(t));
    ok(outcome instanceof Error, `the read gave ${String(outcome)}`);
  } finally {
    raw.destroy();
    srv.close();
  }
});
