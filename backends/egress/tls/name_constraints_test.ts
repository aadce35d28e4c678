// Real clients enforce the run CA's NameConstraints: a leaf the CA signs for a name or an
// address outside its bound hosts (through the test-only unchecked signing path, standing in for
// a leaked CA key) is refused by Deno's TLS client and by `openssl verify`; a permitted one is
// accepted by both.
import { equal, match, ok, rejects } from "node:assert/strict";
import { signCertForTest } from "./_unchecked_sign.ts";
import { createRunCa, type LeafCert, type RunCa } from "./run_ca.ts";

/** Serves `leaf` on loopback; resolves with the port. Each accepted handshake answers "ok". */
function serve(leaf: LeafCert): { port: number; close: () => void } {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certPem,
    key: leaf.keyPem,
  });
  (async () => {
    for await (const conn of listener) {
      conn.handshake().then(
        () => conn.write(new TextEncoder().encode("ok")).finally(() => conn.close()),
        () => conn.close(),
      ).catch(() => {});
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

/** A handshake from Deno's client to loopback, verifying `serverName` against `ca`. */
async function handshake(ca: RunCa, port: number, serverName: string): Promise<string> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = await Deno.startTls(tcp, { hostname: serverName, caCerts: [ca.certPem] });
  try {
    await conn.handshake();
    const buf = new Uint8Array(8);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

async function opensslVerify(ca: RunCa, leafPem: string): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "zu-nc-" });
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.certPem);
    await Deno.writeTextFile(`${dir}/leaf.pem`, leafPem);
    const out = await new Deno.Command("openssl", {
      args: ["verify", "-CAfile", `${dir}/ca.pem`, `${dir}/leaf.pem`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What rustls (Deno's client) says for a leaf outside the CA's constraints. */
const NAME_CONSTRAINT = /NameConstraintViolation/;
const OPENSSL_SKIP = "openssl verify skipped: the openssl binary is not installed";

Deno.test("Deno's TLS client accepts a permitted leaf and refuses one outside the CA's names", async () => {
  const ca = createRunCa({ hosts: ["localhost", "*.bound.test"] });
  const good = serve(ca.mintLeaf("localhost"));
  const sub = serve(ca.mintLeaf("a.bound.test"));
  const bad = serve(signCertForTest(ca, "evil.test"));
  try {
    equal(await handshake(ca, good.port, "localhost"), "ok");
    equal(await handshake(ca, sub.port, "a.bound.test"), "ok");
    await rejects(handshake(ca, bad.port, "evil.test"), NAME_CONSTRAINT);
  } finally {
    good.close();
    sub.close();
    bad.close();
  }
});

Deno.test("a run CA bound to names only cannot vouch for any IP address, even loopback", async () => {
  const named = createRunCa({ hosts: ["localhost"] });
  const withIp = createRunCa({ hosts: ["localhost", "127.0.0.1"] });
  const bad = serve(signCertForTest(named, "127.0.0.1"));
  const good = serve(withIp.mintLeaf("127.0.0.1"));
  try {
    equal(await handshake(withIp, good.port, "127.0.0.1"), "ok");
    await rejects(handshake(named, bad.port, "127.0.0.1"), NAME_CONSTRAINT);
  } finally {
    bad.close();
    good.close();
  }
});

Deno.test("a run CA bound to addresses only refuses an address outside them", async () => {
  const ca = createRunCa({ hosts: ["127.0.0.1"] });
  const bad = serve(signCertForTest(ca, "::1"));
  const badName = serve(signCertForTest(ca, "localhost"));
  try {
    await rejects(handshake(ca, bad.port, "::1"), NAME_CONSTRAINT);
    await rejects(handshake(ca, badName.port, "localhost"), NAME_CONSTRAINT);
  } finally {
    bad.close();
    badName.close();
  }
});

Deno.test("openssl verify enforces the run CA's NameConstraints", async (t) => {
  const ca = createRunCa({ hosts: ["localhost", "*.bound.test", "127.0.0.1"] });
  const okOut = await opensslVerify(ca, ca.mintLeaf("localhost").certPem);
  if (okOut === null) {
    console.log(OPENSSL_SKIP);
    await t.step({ name: OPENSSL_SKIP, ignore: true, fn: () => {} });
    return;
  }
  match(okOut, /: OK$/);
  match((await opensslVerify(ca, ca.mintLeaf("x.y.bound.test").certPem))!, /: OK$/);
  match((await opensslVerify(ca, ca.mintLeaf("127.0.0.1").certPem))!, /: OK$/);
  const name = (await opensslVerify(ca, signCertForTest(ca, "evil.test").certPem))!;
  match(name, /permitted subtree violation/);
  const ip = (await opensslVerify(ca, signCertForTest(ca, "10.0.0.1").certPem))!;
  match(ip, /permitted subtree violation/);
  const namesOnly = createRunCa({ hosts: ["localhost"] });
  const excluded =
    (await opensslVerify(namesOnly, signCertForTest(namesOnly, "127.0.0.1").certPem))!;
  match(excluded, /excluded subtree violation/);
  ok(!/: OK$/.test(excluded));
});

Deno.test("a dNSName constraint covers the subdomains of an exact host (RFC 5280); mintLeaf does not", async () => {
  const ca = createRunCa({ hosts: ["localhost", "api.test"] });
  // What a leaked key could still do: RFC 5280 has no exact-name constraint.
  const sub = serve(signCertForTest(ca, "x.api.test"));
  try {
    equal(await handshake(ca, sub.port, "x.api.test"), "ok");
  } finally {
    sub.close();
  }
  ok(!ca.permits("x.api.test"));
});
