/**
 * TLS pieces of the credential interceptor against baselines measured in the same run:
 *
 * - leaf minting (`RunCa.mintLeaf`, a cache miss each time, with the CA's one cached leaf key)
 *   vs minting with a fresh P-256 key pair per leaf (the same signing plus key generation and
 *   the key's SPKI/PKCS #8 exports and key id, which a fresh-key path must do); goal ≤ 5 ms p50;
 * - a TLS handshake (alone, and plus one HTTP/1.1 request and answer) through `terminateTls`
 *   (a plain listener that reads the ClientHello first, as the proxy does) vs a direct
 *   `Deno.listenTls` server with the same leaf; clients have Nagle off;
 * - one request and answer on an established connection, through `terminateTls` vs direct.
 *
 * Series run in alternating chunks so bursts of noise hit both sides; p50/p90 per series and
 * the ratio of p50s (ours / baseline). About 10–20 s (`--quick`: 2–4 s, a smoke test).
 *
 * Run: `deno run -A bench/leaf_mint_bench.ts [--quick]`
 *
 * @module
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { createRunCa, type LeafCert, terminateTls } from "../backends/egress/tls/mod.ts";

const quick = Deno.args.includes("--quick");
const MINTS = quick ? 100 : 600;
const HANDSHAKES = quick ? 30 : 200;
const REQUESTS = quick ? 200 : 2000;
const CHUNK = 20;

const enc = new TextEncoder();
const REQUEST = enc.encode("GET /v1/x HTTP/1.1\r\nhost: localhost\r\n\r\n");
const RESPONSE = enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Runs `a` and `b` in alternating chunks (a, b, b, a, ...) until each has `n` samples. */
async function alternate(
  n: number,
  a: () => Promise<number> | number,
  b: () => Promise<number> | number,
): Promise<[number[], number[]]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; as.length < n; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      for (let i = 0; i < CHUNK && (which === 0 ? as : bs).length < n; i++) {
        (which === 0 ? as : bs).push(await (which === 0 ? a() : b()));
      }
    }
  }
  return [as, bs];
}

function line(label: string, ours: number[], base: number[], baseLabel: string): void {
  const f = (x: number) => x.toFixed(3);
  console.log(
    `${label}: ours p50 ${f(pct(ours, 50))} ms p90 ${f(pct(ours, 90))} ms | ` +
      `${baseLabel} p50 ${f(pct(base, 50))} ms p90 ${f(pct(base, 90))} ms | ` +
      `ratio ${(pct(ours, 50) / pct(base, 50)).toFixed(2)}`,
  );
}

// ---- leaf minting ------------------------------------------------------------------------
const ca = createRunCa({ hosts: ["*.bench.test", "localhost"] });
let host = 0;
const cachedKey = () => {
  const name = `h${host++}.bench.test`;
  const t = performance.now();
  ca.mintLeaf(name);
  return performance.now() - t;
};
const freshKey = () => {
  const name = `h${host++}.bench.test`;
  const t = performance.now();
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  createHash("sha1").update(spki.subarray(26)).digest();
  privateKey.export({ type: "pkcs8", format: "pem" });
  ca.mintLeaf(name);
  return performance.now() - t;
};
for (let i = 0; i < 20; i++) cachedKey(), freshKey(); // warm-up
const [mintOurs, mintFresh] = await alternate(MINTS, cachedKey, freshKey);
line("leaf mint (cache miss)", mintOurs, mintFresh, "fresh key per leaf");
const p50 = pct(mintOurs, 50);
console.log(
  `leaf mint goal ≤ 5 ms p50 with the cached key: ${p50 <= 5 ? "met" : "NOT met"} (${
    p50.toFixed(3)
  } ms)`,
);
let hit = 0;
const hits: number[] = [];
for (let i = 0; i < MINTS; i++) {
  const t = performance.now();
  ca.mintLeaf(`h${hit++ % 100 + host - 100}.bench.test`);
  hits.push(performance.now() - t);
}
console.log(`leaf mint (cache hit): p50 ${pct(hits, 50).toFixed(4)} ms`);

// ---- TLS servers -------------------------------------------------------------------------
const leaf: LeafCert = ca.mintLeaf("localhost");

async function readHead(r: { read(p: Uint8Array): Promise<number | null> }): Promise<boolean> {
  const buf = new Uint8Array(4096);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await r.read(buf);
    if (n === null) return false;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return true;
}

async function serveRequests(c: {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
}): Promise<void> {
  while (await readHead(c)) await c.write(RESPONSE);
}

function startDirect(): { port: number; close: () => void } {
  const l = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certPem,
    key: leaf.keyPem,
    alpnProtocols: ["http/1.1"],
  });
  (async () => {
    for await (const c of l) {
      serveRequests(c).catch(() => {}).finally(() => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

function startTerminating(): { port: number; close: () => void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      (async () => {
        const first = new Uint8Array(16384);
        const n = await c.read(first);
        if (n === null) return c.close();
        const t = await terminateTls(c, first.subarray(0, n), leaf);
        await serveRequests(t).catch(() => {});
        t.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

async function oneExchange(conn: Deno.Conn): Promise<void> {
  await conn.write(REQUEST);
  const buf = new Uint8Array(4096);
  let got = 0;
  while (got < RESPONSE.length) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("the server closed early");
    got += n;
  }
}

const direct = startDirect();
const terminating = startTerminating();
/** A client with Nagle off (as `connectUpstreamTls` and the proxy's legs have it). */
async function client(port: number): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  return Deno.startTls(tcp, { hostname: "localhost", caCerts: [ca.certPem] });
}
const handshakeOnly = (port: number) => async () => {
  const t = performance.now();
  const conn = await client(port);
  await conn.handshake();
  const ms = performance.now() - t;
  conn.close();
  return ms;
};
const handshakeAndRequest = (port: number) => async () => {
  const t = performance.now();
  const conn = await client(port);
  await oneExchange(conn);
  const ms = performance.now() - t;
  conn.close();
  return ms;
};
for (let i = 0; i < 5; i++) {
  await handshakeAndRequest(direct.port)();
  await handshakeAndRequest(terminating.port)();
}
const [hoOurs, hoDirect] = await alternate(
  HANDSHAKES,
  handshakeOnly(terminating.port),
  handshakeOnly(direct.port),
);
line("handshake only", hoOurs, hoDirect, "direct Deno.listenTls");
const [hsOurs, hsDirect] = await alternate(
  HANDSHAKES,
  handshakeAndRequest(terminating.port),
  handshakeAndRequest(direct.port),
);
line("handshake + 1 request", hsOurs, hsDirect, "direct Deno.listenTls");
console.log(
  "  (a Deno.listenTls connection cannot turn Nagle off: its first answer waits for the ACK of " +
    "the session tickets, a delayed ACK of about 40 ms; terminateTls turns Nagle off)",
);

const ourConn = await client(terminating.port);
const directConn = await client(direct.port);
const request = (conn: Deno.Conn) => async () => {
  const t = performance.now();
  await oneExchange(conn);
  return performance.now() - t;
};
for (let i = 0; i < 50; i++) await request(ourConn)(), await request(directConn)();
const [reqOurs, reqDirect] = await alternate(REQUESTS, request(ourConn), request(directConn));
line("1 request on an open connection", reqOurs, reqDirect, "direct Deno.listenTls");
console.log(
  `added per request after the handshake: ${
    (pct(reqOurs, 50) - pct(reqDirect, 50)).toFixed(3)
  } ms p50`,
);
ourConn.close();
directConn.close();
direct.close();
terminating.close();
