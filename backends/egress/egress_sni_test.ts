/**
 * Attack tests of the proxy's ClientHello check, loopback only: the test dialer maps the pinned
 * public-looking address to a raw loopback listener that records every byte it receives, so a
 * test shows exactly what reached "upstream".
 */
import assert from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import type { EgressProxyOptions, ProxyLogLine } from "./egress_proxy.ts";
import { clientHello, readAllText, readResponseHead, tlsRecords } from "./_test_util.ts";
import { concatBytes } from "../../core/bytes.ts";

const PUBLIC_IP = "93.184.216.34";

/** A raw TCP upstream: keeps what each connection sent, closes once `expect` bytes arrived. */
function startRecorder(expect: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: Uint8Array[] = [];
  const served = (async () => {
    for await (const conn of listener) {
      const parts: Uint8Array[] = [];
      let total = 0;
      const buf = new Uint8Array(65536);
      while (total < expect) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        parts.push(buf.slice(0, n));
        total += n;
      }
      received.push(concatBytes(parts, total));
      conn.close();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    close: async () => {
      listener.close();
      await served;
    },
  };
}

async function withSniProxy(
  expect: number,
  extra: Partial<EgressProxyOptions>,
  fn: (ctx: { port: number; lines: ProxyLogLine[]; received: Uint8Array[] }) => Promise<void>,
): Promise<void> {
  const upstream = startRecorder(expect);
  const lines: ProxyLogLine[] = [];
  const proxy = await startEgressProxy({
    allowlist: ["allowed.test", PUBLIC_IP],
    resolver: (host) =>
      host === "allowed.test" ? Promise.resolve([PUBLIC_IP]) : Promise.reject(new Error("NX")),
    dialer: (t) =>
      t.hostname === PUBLIC_IP
        ? Deno.connect({ hostname: "127.0.0.1", port: upstream.port })
        : Promise.reject(new Error(`test dialer refuses "${t.hostname}"`)),
    log: (l) => lines.push(l),
    idleTimeoutMs: 5000,
    ...extra,
  });
  try {
    await fn({ port: proxy.port, lines, received: upstream.received });
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

/** CONNECTs, then sends `pieces` one write each; returns the proxy's answer head. */
async function tunnel(port: number, authority: string, pieces: Uint8Array[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`CONNECT ${authority} HTTP/1.1\r\n\r\n`));
    const head = await readResponseHead(conn);
    for (const piece of pieces) {
      try {
        let at = 0;
        while (at < piece.length) at += await conn.write(piece.subarray(at));
      } catch {
        break; // the proxy closed the tunnel
      }
    }
    await readAllText(conn);
    return head;
  } finally {
    conn.close();
  }
}

const decisions = (lines: ProxyLogLine[]) => lines.filter((l) => l.event === "proxy.decision");
const bytesOf = (b: Uint8Array) => [...b].map((x) => Uint8Array.of(x));

Deno.test("A ClientHello sent one byte per TCP write is reassembled and let through whole", async () => {
  const hello = tlsRecords(clientHello("allowed.test"));
  await withSniProxy(hello.length, {}, async ({ port, lines, received }) => {
    assert.match(await tunnel(port, "allowed.test:443", bytesOf(hello)), /^HTTP\/1\.1 200/);
    assert.deepEqual(received, [hello]);
    const d = decisions(lines);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.allowed, true);
    assert.equal(d[0]!.bytes_up, hello.length);
  });
});

Deno.test("A ClientHello split across several TLS records is reassembled and checked", async () => {
  const good = tlsRecords(clientHello("allowed.test"), [5, 7, 30]);
  await withSniProxy(good.length, {}, async ({ port, lines, received }) => {
    await tunnel(port, "allowed.test:443", [good]);
    // A fronted name hidden in the second record is still seen.
    await tunnel(port, "allowed.test:443", [tlsRecords(clientHello("evil.test"), [60])]);
    // (The upstream is dialed before the ClientHello arrives; a refused tunnel sends it nothing.)
    assert.deepEqual(received.filter((r) => r.length > 0), [good]);
    assert.deepEqual(decisions(lines).map((l) => [l.allowed, l.reason]), [
      [true, "allowlisted"],
      [false, "sni_mismatch"],
    ]);
  });
});

Deno.test("A tunnel whose SNI names another host than CONNECT sends nothing upstream", async () => {
  await withSniProxy(1, {}, async ({ port, lines, received }) => {
    await tunnel(port, "allowed.test:443", [tlsRecords(clientHello("evil.test"))]);
    await tunnel(port, "allowed.test:443", [tlsRecords(clientHello("allowed.test.evil.test"))]);
    assert.ok(received.every((r) => r.length === 0), "no ClientHello byte went upstream");
    const d = decisions(lines);
    assert.deepEqual(d.map((l) => l.reason), ["sni_mismatch", "sni_mismatch"]);
    assert.ok(d.every((l) => l.allowed === false && l.bytes_up === 0));
    assert.match(String(d[0]!.detail), /evil\.test/);
  });
});

Deno.test("A ClientHello without a server name is refused for a named host, not for an IP", async () => {
  const hello = tlsRecords(clientHello(null));
  await withSniProxy(hello.length, {}, async ({ port, lines, received }) => {
    await tunnel(port, "allowed.test:443", [hello]);
    await tunnel(port, `${PUBLIC_IP}:443`, [hello]);
    assert.deepEqual(decisions(lines).map((l) => [l.allowed, l.reason]), [
      [false, "sni_missing"],
      [true, "allowlisted"],
    ]);
    assert.deepEqual(received.filter((r) => r.length > 0), [hello]);
  });
});

Deno.test("Plain text and over-long junk inside a tunnel are refused before reaching upstream", async () => {
  const junkRecord = new Uint8Array(16384 + 5);
  junkRecord.set([0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff]); // claims a 16 MiB hello
  const hello = clientHello("allowed.test");
  const manyTiny = tlsRecords(hello, Array(hello.length).fill(1));
  await withSniProxy(1, {}, async ({ port, lines, received }) => {
    await tunnel(port, "allowed.test:443", [new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")]);
    await tunnel(port, "allowed.test:443", [junkRecord]);
    await tunnel(port, "allowed.test:443", [manyTiny]);
    await tunnel(port, "allowed.test:443", [Uint8Array.from([0x16, 0x03, 0x01, 0xff, 0xff])]);
    assert.ok(received.every((r) => r.length === 0), "no junk byte went upstream");
    assert.deepEqual(decisions(lines).map((l) => [l.allowed, l.reason]), [
      [false, "not_tls"],
      [false, "client_hello_too_large"],
      [false, "client_hello_too_large"],
      [false, "malformed_client_hello"],
    ]);
  });
});

Deno.test("A tunnel client that never sends its ClientHello is cut at the SNI deadline", async () => {
  await withSniProxy(1, { sniTimeoutMs: 1000 }, async ({ port, lines, received }) => {
    const partial = tlsRecords(clientHello("allowed.test")).subarray(0, 20);
    // Neither silence nor a partial ClientHello holds the tunnel past the deadline (1 s, so that
    // a loaded host still delivers the 20 bytes before it).
    await tunnel(port, "allowed.test:443", []);
    await tunnel(port, "allowed.test:443", [partial]);
    assert.ok(received.every((r) => r.length === 0));
    const d = decisions(lines);
    assert.deepEqual(d.map((l) => l.reason), ["sni_timeout", "sni_timeout"]);
    assert.match(String(d[1]!.detail), /"20" bytes/);
  });
});

Deno.test("A tunnel client that closes mid-ClientHello is refused with one decision", async () => {
  await withSniProxy(1, {}, async ({ port, lines }) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("CONNECT allowed.test:443 HTTP/1.1\r\n\r\n"));
    await readResponseHead(conn);
    await conn.write(tlsRecords(clientHello("allowed.test")).subarray(0, 30));
    await conn.closeWrite();
    await readAllText(conn);
    conn.close();
    const d = decisions(lines);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.reason, "client_hello_truncated");
  });
});

Deno.test("A tunnel closed before its first byte carried nothing and stays the policy's decision", async () => {
  await withSniProxy(1, {}, async ({ port, lines, received }) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("CONNECT allowed.test:443 HTTP/1.1\r\n\r\n"));
    assert.match(await readResponseHead(conn), /^HTTP\/1\.1 200/);
    await conn.closeWrite();
    await readAllText(conn);
    conn.close();
    assert.ok(received.every((r) => r.length === 0));
    const d = decisions(lines);
    assert.equal(d.length, 1);
    assert.deepEqual([d[0]!.allowed, d[0]!.reason, d[0]!.bytes_up], [true, "allowlisted", 0]);
    assert.match(String(d[0]!.detail), /before sending a byte/);
  });
});
