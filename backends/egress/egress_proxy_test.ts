/**
 * Unit tests of the egress proxy, loopback only.
 *
 * Loopback never passes the proxy's checks, so positive end-to-end tests give the proxy a test
 * resolver that answers a public-looking address (93.184.216.34) and a `dialer` seam that maps
 * exactly that pinned address to the loopback origin; any other dial fails the test. Nothing
 * leaves 127.0.0.1. (The Docker integration test covers the real dial with `allowCidrs`.)
 */
import assert from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import type { Dialer, EgressProxyOptions, ProxyLogLine } from "./egress_proxy.ts";
import { connectThenGet, rawRequest, readResponseHead, startOrigin } from "./_test_util.ts";

const PUBLIC_IP = "93.184.216.34";
const OTHER_PUBLIC_IP = "93.184.216.35";

const ANSWERS: Record<string, string[]> = {
  "allowed.test": [PUBLIC_IP],
  "xn--bcher-kva.test": [PUBLIC_IP],
  "api.wild.test": [PUBLIC_IP],
  "wild.test": [PUBLIC_IP],
  "offlist.test": [OTHER_PUBLIC_IP],
  "rebind.test": ["10.0.0.7"],
  "meta.test": ["169.254.169.254"],
  "mixed.test": [PUBLIC_IP, "127.0.0.1"],
};

async function withProxy(
  extra: Partial<EgressProxyOptions>,
  fn: (ctx: {
    port: number;
    lines: ProxyLogLine[];
    dials: string[];
    originHits: string[];
    originPort: number;
  }) => Promise<void>,
): Promise<void> {
  const origin = startOrigin();
  const dials: string[] = [];
  const dialer: Dialer = (t) => {
    dials.push(`${t.hostname}:${t.port}`);
    if (t.hostname !== PUBLIC_IP) {
      return Promise.reject(new Error(`test dialer refuses "${t.hostname}"`));
    }
    return Deno.connect({ hostname: "127.0.0.1", port: origin.port });
  };
  const lines: ProxyLogLine[] = [];
  const proxy = await startEgressProxy({
    allowlist: ["allowed.test", "allowed.test:8080", "*.wild.test", "BÜCHER.test", "8.8.4.4"],
    resolver: (host) => {
      const a = ANSWERS[host];
      return a ? Promise.resolve(a) : Promise.reject(new Error(`NXDOMAIN ${host}`));
    },
    dialer,
    log: (l) => lines.push(l),
    idleTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    ...extra,
  });
  try {
    await fn({ port: proxy.port, lines, dials, originHits: origin.hits, originPort: origin.port });
  } finally {
    await proxy.close();
    await origin.close();
  }
}

function decisions(lines: ProxyLogLine[]): ProxyLogLine[] {
  return lines.filter((l) => l.event === "proxy.decision");
}

Deno.test("EgressProxy logs proxy.ready with its bound address", async () => {
  const lines: ProxyLogLine[] = [];
  const proxy = await startEgressProxy({ allowlist: ["allowed.test"], log: (l) => lines.push(l) });
  try {
    assert.deepEqual(lines[0], { event: "proxy.ready", host: "127.0.0.1", port: proxy.port });
    assert.ok(proxy.port > 0);
  } finally {
    await proxy.close();
  }
});

Deno.test("EgressProxy tunnels CONNECT to an allowlisted host and logs the decision", async () => {
  // Plain HTTP inside the tunnel: the ClientHello check is off here (see egress_sni_test.ts).
  await withProxy({ checkSni: false }, async ({ port, lines, dials }) => {
    const { head, body } = await connectThenGet(port, "allowed.test:443");
    assert.match(head, /^HTTP\/1\.1 200 Connection Established/);
    assert.match(body, /origin ok GET \/inside host=allowed\.test:443/);
    assert.deepEqual(dials, [`${PUBLIC_IP}:443`]);
    const d = decisions(lines);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.allowed, true);
    assert.equal(d[0]!.reason, "allowlisted");
    assert.equal(d[0]!.host, "allowed.test");
    assert.equal(d[0]!.ip, PUBLIC_IP);
    assert.equal(d[0]!.port, 443);
    assert.equal(d[0]!.method, "CONNECT");
    assert.ok((d[0]!.bytes_up as number) > 0 && (d[0]!.bytes_down as number) > 0);
  });
});

Deno.test("EgressProxy forwards absolute-form HTTP with the Host header and without hop-by-hop headers", async () => {
  await withProxy({}, async ({ port, lines, dials }) => {
    const response = await rawRequest(
      port,
      "GET http://ALLOWED.test./a/b?q=1 HTTP/1.1\r\nHost: evil.test\r\n" +
        "Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n\r\n",
    );
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.match(response, /origin ok GET \/a\/b\?q=1 host=allowed\.test proxy-authorization=null/);
    assert.deepEqual(dials, [`${PUBLIC_IP}:80`]);
    const d = decisions(lines);
    assert.equal(d[0]!.method, "GET");
    assert.equal(d[0]!.allowed, true);
  });
});

Deno.test("EgressProxy serves fetch through Deno's own proxy client", async () => {
  await withProxy({}, async ({ port }) => {
    const client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${port}` } });
    try {
      const res = await fetch("http://allowed.test:8080/via-fetch", { client });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /origin ok GET \/via-fetch host=allowed\.test:8080/);
    } finally {
      client.close();
    }
  });
});

Deno.test("EgressProxy matches IDNA names, *.domain wildcards with their apex, and default ports only", async () => {
  await withProxy({ checkSni: false }, async ({ port, lines }) => {
    assert.match((await connectThenGet(port, "bücher.test:443")).head, /^HTTP\/1\.1 200/);
    assert.match((await connectThenGet(port, "xn--bcher-kva.test:443")).head, /^HTTP\/1\.1 200/);
    assert.match((await connectThenGet(port, "API.Wild.Test.:443")).head, /^HTTP\/1\.1 200/);
    assert.match((await connectThenGet(port, "wild.test:443")).head, /^HTTP\/1\.1 200/);
    assert.match((await connectThenGet(port, "wild.test:8443")).head, /^HTTP\/1\.1 403/);
    const reasons = decisions(lines).map((l) => l.reason);
    assert.deepEqual(reasons, [
      "allowlisted",
      "allowlisted",
      "allowlisted_wildcard",
      "allowlisted_wildcard",
      "not_allowlisted",
    ]);
  });
});

Deno.test("EgressProxy refuses an off-allowlist host with 403 on both forms", async () => {
  await withProxy({}, async ({ port, lines, dials }) => {
    assert.match((await connectThenGet(port, "offlist.test:443")).head, /^HTTP\/1\.1 403/);
    assert.match(
      await rawRequest(port, "GET http://offlist.test/ HTTP/1.1\r\nHost: offlist.test\r\n\r\n"),
      /^HTTP\/1\.1 403/,
    );
    assert.deepEqual(dials, []);
    const d = decisions(lines);
    assert.equal(d.length, 2);
    for (const l of d) {
      assert.equal(l.allowed, false);
      assert.equal(l.reason, "not_allowlisted");
      assert.equal(l.ip, null);
    }
  });
});

Deno.test("EgressProxy refuses the metadata address in every encoding", async () => {
  const encodings = [
    "169.254.169.254",
    "2852039166",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "[::ffff:169.254.169.254]",
    "169.254.43518",
    "0xa9.0xfe.0xa9.0xfe",
    "[::ffff:a9fe:a9fe]",
    "169.254.169.254.",
  ];
  // Even an operator CIDR that covers link-local does not open the metadata address.
  await withProxy({ allowCidrs: ["169.254.0.0/16"] }, async ({ port, lines, dials }) => {
    for (const e of encodings) {
      assert.match((await connectThenGet(port, `${e}:80`)).head, /^HTTP\/1\.1 403/, e);
      assert.match(
        await rawRequest(port, `GET http://${e}/latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n`),
        /^HTTP\/1\.1 403/,
        e,
      );
    }
    assert.deepEqual(dials, []);
    const d = decisions(lines);
    assert.equal(d.length, encodings.length * 2);
    for (const l of d) {
      assert.equal(l.allowed, false);
      assert.equal(l.reason, "blocked_address");
      assert.match(String(l.detail), /metadata/);
      // The log names the canonical address and keeps the encoding that was tried.
      assert.ok(["169.254.169.254", "::ffff:a9fe:a9fe"].includes(String(l.host)), String(l.host));
    }
    assert.deepEqual(
      [...new Set(d.map((l) => l.requested ?? l.host))],
      encodings.map((e) => e.replace(/^\[|\]$/g, "")),
    );
  });
});

Deno.test("EgressProxy refuses names that resolve to private, metadata or loopback addresses", async () => {
  await withProxy(
    { allowlist: ["rebind.test", "meta.test", "mixed.test", "localhost"] },
    async ({ port, lines, dials }) => {
      for (const h of ["rebind.test", "meta.test", "mixed.test", "localhost"]) {
        assert.match((await connectThenGet(port, `${h}:443`)).head, /^HTTP\/1\.1 403/, h);
      }
      assert.deepEqual(dials, []);
      const d = decisions(lines);
      assert.deepEqual(d.map((l) => l.reason), Array(4).fill("blocked_resolution"));
      assert.match(String(d[0]!.detail), /10\.0\.0\.7.*private/);
    },
  );
});

Deno.test("EgressProxy lets a private answer through only inside an operator-named CIDR", async () => {
  await withProxy(
    { allowlist: ["rebind.test"], allowCidrs: ["10.0.0.0/24"] },
    async ({ port, lines, dials }) => {
      // Allowed by policy: the test dialer refuses 10.0.0.7, so the proxy reports connect_failed.
      assert.match((await connectThenGet(port, "rebind.test:443")).head, /^HTTP\/1\.1 502/);
      assert.deepEqual(dials, ["10.0.0.7:443"]);
      assert.equal(decisions(lines)[0]!.reason, "connect_failed");
    },
  );
  await withProxy(
    { allowlist: ["rebind.test"], allowCidrs: ["10.1.0.0/16"] },
    async ({ port, dials }) => {
      assert.match((await connectThenGet(port, "rebind.test:443")).head, /^HTTP\/1\.1 403/);
      assert.deepEqual(dials, []);
    },
  );
});

Deno.test("EgressProxy refuses a bare-IP CONNECT unless that IP is allowlisted", async () => {
  await withProxy({}, async ({ port, lines, dials }) => {
    assert.match((await connectThenGet(port, `${PUBLIC_IP}:443`)).head, /^HTTP\/1\.1 403/);
    assert.deepEqual(dials, []);
    assert.equal(decisions(lines)[0]!.reason, "ip_literal_not_allowlisted");
    // 8.8.4.4 is allowlisted as an address; the test dialer refuses it (502), but policy passed.
    assert.match((await connectThenGet(port, "8.8.4.4:443")).head, /^HTTP\/1\.1 502/);
    assert.deepEqual(dials, ["8.8.4.4:443"]);
  });
});

Deno.test("EgressProxy answers 431 to an oversized request head", async () => {
  await withProxy({ maxHeaderBytes: 1024 }, async ({ port, lines, dials }) => {
    const big = `CONNECT allowed.test:443 HTTP/1.1\r\nX-Pad: ${"a".repeat(4000)}\r\n\r\n`;
    assert.match(await rawRequest(port, big), /^HTTP\/1\.1 431/);
    assert.deepEqual(dials, []);
    assert.equal(decisions(lines)[0]!.reason, "header_too_large");
  });
});

Deno.test("EgressProxy answers 400 to origin-form, https absolute-form and malformed heads", async () => {
  await withProxy({}, async ({ port, lines }) => {
    assert.match(
      await rawRequest(port, "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n"),
      /^HTTP\/1\.1 400/,
    );
    assert.match(
      await rawRequest(port, "GET https://allowed.test/ HTTP/1.1\r\nHost: a\r\n\r\n"),
      /^HTTP\/1\.1 400/,
    );
    assert.match(await rawRequest(port, "NONSENSE\r\n\r\n"), /^HTTP\/1\.1 400/);
    assert.match(
      await rawRequest(port, "GET http://user@allowed.test/ HTTP/1.1\r\nHost: a\r\n\r\n"),
      /^HTTP\/1\.1 400/,
    );
    assert.deepEqual(decisions(lines).map((l) => l.reason), [
      "not_a_proxy_request",
      "unsupported_scheme",
      "malformed_request",
      "bad_target",
    ]);
  });
});

Deno.test("EgressProxy closes a client that never finishes its head at the idle timeout", async () => {
  await withProxy({ idleTimeoutMs: 200 }, async ({ port, lines }) => {
    const reply = await rawRequest(port, "CONNECT allowed.test:443 HTTP/1.1\r\n");
    assert.match(reply, /^(HTTP\/1\.1 400|)/);
    assert.equal(decisions(lines)[0]?.reason, "header_timeout");
  });
});

Deno.test("EgressProxy answers 503 beyond its connection limit", async () => {
  await withProxy({ maxConnections: 1 }, async ({ port, lines }) => {
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      // The first connection is accepted (it is waiting for a head); the second is over the cap.
      await first.write(new TextEncoder().encode("CONNECT allowed.test:443 HTTP/1.1\r\n"));
      let reply = "";
      for (let i = 0; i < 50 && !reply.includes("503"); i++) {
        reply = await rawRequest(port, "CONNECT allowed.test:443 HTTP/1.1\r\n\r\n");
      }
      assert.match(reply, /^HTTP\/1\.1 503/);
      assert.ok(decisions(lines).some((l) => l.reason === "too_many_connections"));
    } finally {
      first.close();
    }
  });
});

async function tlsThroughTunnel(port: number, authority: string, sni: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`CONNECT ${authority} HTTP/1.1\r\n\r\n`));
  const head = await readResponseHead(conn);
  if (!head.startsWith("HTTP/1.1 200")) {
    conn.close();
    return head;
  }
  try {
    // The origin speaks plain HTTP, so the handshake fails either way; what matters is whether
    // the proxy let the ClientHello through.
    const tls = await Deno.startTls(conn, { hostname: sni });
    await tls.handshake();
    tls.close();
  } catch {
    try {
      conn.close();
    } catch {
      // closed
    }
  }
  return head;
}

Deno.test("EgressProxy refuses a tunnel whose TLS SNI names another host than CONNECT", async () => {
  await withProxy({}, async ({ port, lines, originHits }) => {
    await tlsThroughTunnel(port, "allowed.test:443", "evil.test");
    await tlsThroughTunnel(port, "allowed.test:443", "ALLOWED.test");
    const d = decisions(lines);
    assert.equal(d.length, 2);
    const byReason = d.map((l) => [l.allowed, l.reason]).sort();
    assert.deepEqual(byReason, [[false, "sni_mismatch"], [true, "allowlisted"]]);
    const refused = d.find((l) => l.reason === "sni_mismatch")!;
    assert.equal(refused.bytes_up, 0, "no byte of the fronted ClientHello went upstream");
    assert.match(String(refused.detail), /evil\.test/);
    assert.deepEqual(originHits, []);
  });
});
