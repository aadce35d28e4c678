import { equal, match, notEqual, ok, throws } from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { createRunCa, LEAF_CACHE_SIZE, MAX_CA_VALIDITY_MS } from "./run_ca.ts";

const enc = new TextEncoder();

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function bytes(...parts: (number[] | string)[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p));
}

Deno.test("createRunCa makes a P-256 CA: basic constraints, key usage, SKI, at most 24 h", () => {
  const now = new Date("2026-12-03T12:00:30.500Z");
  const ca = createRunCa({ hosts: ["api.example.com"], now });
  const x = new X509Certificate(ca.certPem);
  equal(x.ca, true);
  equal(x.publicKey.asymmetricKeyType, "ec");
  equal(x.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  ok(x.verify(x.publicKey), "self-signed");
  equal(x.fingerprint256, ca.fingerprint256);
  equal(new X509Certificate(ca.certDer).fingerprint256, ca.fingerprint256);
  equal(new Date(x.validFrom).toISOString(), "2026-12-03T11:59:30.000Z");
  equal(new Date(x.validTo).toISOString(), "2026-12-04T12:00:30.000Z");
  equal(ca.notBefore.toISOString(), "2026-12-03T11:59:30.000Z");
  ok(ca.notAfter.getTime() - now.getTime() <= MAX_CA_VALIDITY_MS);
  match(x.subject, /CN=zu run CA [0-9a-f]{8}/);
  const der = ca.certDer;
  // basicConstraints critical, CA true, pathLen 0
  ok(
    indexOfBytes(
      der,
      bytes([0x06, 3, 0x55, 0x1d, 0x13, 1, 1, 0xff, 4, 8, 0x30, 6, 1, 1, 0xff, 2, 1, 0]),
    ) > 0,
  );
  // keyUsage critical: keyCertSign and cRLSign only
  ok(indexOfBytes(der, bytes([0x06, 3, 0x55, 0x1d, 0x0f, 1, 1, 0xff, 4, 4, 3, 2, 1, 6])) > 0);
  // subjectKeyIdentifier: 20 bytes
  ok(indexOfBytes(der, bytes([0x06, 3, 0x55, 0x1d, 0x0e, 4, 22, 4, 20])) > 0);
});

Deno.test("the run CA's NameConstraints are critical and permit exactly the bound hosts", () => {
  const ca = createRunCa({
    hosts: ["API.example.com.", "*.github.com", "127.0.0.1", "[::1]:8443"],
  });
  const der = ca.certDer;
  ok(indexOfBytes(der, bytes([0x06, 3, 0x55, 0x1d, 0x1e, 1, 1, 0xff])) > 0, "critical");
  ok(indexOfBytes(der, bytes([0x30, 17, 0x82, 15], "api.example.com")) > 0);
  ok(indexOfBytes(der, bytes([0x30, 12, 0x82, 10], "github.com")) > 0, "*.domain -> domain");
  ok(indexOfBytes(der, bytes([0x30, 10, 0x87, 8, 127, 0, 0, 1, 255, 255, 255, 255])) > 0);
  const v6 = [...new Uint8Array(15), 1, ...new Uint8Array(16).fill(255)];
  ok(indexOfBytes(der, bytes([0x30, 34, 0x87, 32], v6)) > 0, "::1/128");
  equal(indexOfBytes(der, bytes("invalid")), -1, "names are bound: no placeholder subtree");
  equal(indexOfBytes(der, bytes([0x30, 10, 0x87, 8, 0, 0, 0, 0, 0, 0, 0, 0])), -1, "no exclusion");
  equal(ca.hosts.join(","), "api.example.com,*.github.com,127.0.0.1,::1");
});

Deno.test("a run CA without bound addresses excludes every address; without names permits only .invalid", () => {
  const names = createRunCa({ hosts: ["api.example.com"] }).certDer;
  const all4 = bytes([0x30, 10, 0x87, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
  const all6 = bytes([0x30, 34, 0x87, 32], new Array(32).fill(0));
  ok(indexOfBytes(names, all4) > 0 && indexOfBytes(names, all6) > 0);
  const ips = createRunCa({ hosts: ["10.1.2.3"] }).certDer;
  ok(indexOfBytes(ips, bytes([0x30, 9, 0x82, 7], "invalid")) > 0);
  equal(indexOfBytes(ips, all4), -1);
});

Deno.test("openssl reads the run CA's NameConstraints as the bound hosts", async (t) => {
  const ca = createRunCa({ hosts: ["api.example.com", "*.github.com", "127.0.0.1"] });
  const out = await new Deno.Command("openssl", {
    args: ["x509", "-noout", "-text"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(enc.encode(ca.certPem)).catch(() => {});
  await w.close().catch(() => {});
  const r = await out.output().catch(() => null);
  if (r === null || !r.success) {
    await t.step({ name: "skipped: openssl is not installed", ignore: true, fn: () => {} });
    return;
  }
  const text = new TextDecoder().decode(r.stdout);
  match(
    text,
    /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:api\.example\.com\s+DNS:github\.com\s+IP:127\.0\.0\.1\/255\.255\.255\.255/,
  );
  match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
});

Deno.test("createRunCa refuses a validity above 24 h and a host outside the grammar", () => {
  throws(() => createRunCa({ hosts: ["a.test"], validityMs: MAX_CA_VALIDITY_MS + 1 }), RangeError);
  throws(() => createRunCa({ hosts: ["a.test"], validityMs: 0 }), RangeError);
  throws(() => createRunCa({ hosts: ["*"] }), TypeError);
  throws(() => createRunCa({ hosts: ["https://a.test/"] }), TypeError);
  const short = createRunCa({ hosts: ["a.test"], validityMs: 3_600_000 });
  equal(short.notAfter.getTime() - short.notBefore.getTime(), 3_600_000 + 60_000);
});

Deno.test("permits follows the bound hosts with canonical spelling", () => {
  const ca = createRunCa({ hosts: ["api.example.com", "*.github.com", "127.0.0.1", "::1"] });
  ok(ca.permits("API.Example.COM."));
  ok(ca.permits("github.com"));
  ok(ca.permits("a.b.github.com"));
  ok(ca.permits("2130706433"), "decimal 127.0.0.1");
  ok(ca.permits("[::1]"));
  ok(ca.permits("::ffff:127.0.0.1"));
  ok(!ca.permits("example.com"));
  ok(!ca.permits("x.api.example.com"), "an exact host covers no subdomain");
  ok(!ca.permits("evilgithub.com"));
  ok(!ca.permits("127.0.0.2"));
  ok(!ca.permits(""));
});

Deno.test("mintLeaf issues a server leaf under the CA with the shared leaf key", () => {
  const ca = createRunCa({ hosts: ["api.example.com", "*.bound.test", "127.0.0.1", "::1"] });
  const caX = new X509Certificate(ca.certPem);
  const a = ca.mintLeaf("api.example.com");
  const x = new X509Certificate(a.certPem);
  equal(x.subject, "CN=api.example.com");
  equal(x.subjectAltName, "DNS:api.example.com");
  equal(x.ca, false);
  ok(x.checkIssued(caX) && x.verify(caX.publicKey));
  const raw = new Uint8Array(x.raw);
  // extKeyUsage: serverAuth; keyUsage critical: digitalSignature only
  ok(indexOfBytes(raw, bytes([0x30, 10, 6, 8, 0x2b, 6, 1, 5, 5, 7, 3, 1])) > 0, "EKU serverAuth");
  ok(indexOfBytes(raw, bytes([0x06, 3, 0x55, 0x1d, 0x0f, 1, 1, 0xff, 4, 4, 3, 2, 7, 0x80])) > 0);
  // authorityKeyIdentifier present
  ok(indexOfBytes(raw, bytes([0x06, 3, 0x55, 0x1d, 0x23])) > 0);
  equal(x.serialNumber.replace(/^00/, "").length >= 30, true);
  ok(new Date(x.validFrom) >= ca.notBefore && new Date(x.validTo) <= ca.notAfter);
  match(a.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  ok(x.checkPrivateKey(createPrivateKey(a.keyPem)), "the key belongs to the leaf");
  const b = ca.mintLeaf("x.bound.test");
  equal(b.keyPem, a.keyPem, "one leaf key per CA");
  notEqual(new X509Certificate(b.certPem).serialNumber, x.serialNumber);
  equal(
    new X509Certificate(ca.mintLeaf("127.0.0.1").certPem).subjectAltName,
    "IP Address:127.0.0.1",
  );
  equal(new X509Certificate(ca.mintLeaf("[::1]").certPem).subjectAltName, "IP Address:::1");
  const other = createRunCa({ hosts: ["api.example.com"] });
  notEqual(other.mintLeaf("api.example.com").keyPem, a.keyPem, "a new CA, a new leaf key");
});

Deno.test("mintLeaf throws one line for a host the CA does not permit", () => {
  const ca = createRunCa({ hosts: ["api.example.com"] });
  throws(() => ca.mintLeaf("evil.test"), (e: unknown) => {
    ok(e instanceof TypeError);
    equal(e.message, 'Cannot mint a leaf for "evil.test": the run CA is not bound to that host');
    return true;
  });
  throws(() => ca.mintLeaf("127.0.0.1"), TypeError);
  throws(() => ca.mintLeaf("a..b"), /not a host name/);
});

Deno.test("mintLeaf caches per canonical host and evicts the least recently used past 256", () => {
  const ca = createRunCa({ hosts: ["*.lru.test"] });
  const first = ca.mintLeaf("h0.lru.test");
  equal(ca.mintLeaf("H0.LRU.test.").certPem, first.certPem, "same cert for a repeated host");
  for (let i = 1; i < LEAF_CACHE_SIZE; i++) ca.mintLeaf(`h${i}.lru.test`);
  // h0 is refreshed, so h1 is now the least recently used.
  equal(ca.mintLeaf("h0.lru.test").certPem, first.certPem);
  const h1 = ca.mintLeaf("h1.lru.test").certPem;
  const h2 = ca.mintLeaf("h2.lru.test").certPem;
  ca.mintLeaf("new1.lru.test"); // evicts h3 (h0, h1, h2 were used since)
  equal(ca.mintLeaf("h0.lru.test").certPem, first.certPem);
  equal(ca.mintLeaf("h1.lru.test").certPem, h1);
  equal(ca.mintLeaf("h2.lru.test").certPem, h2);
  const h4 = ca.mintLeaf("h4.lru.test").certPem;
  for (let i = 0; i < LEAF_CACHE_SIZE; i++) ca.mintLeaf(`fill${i}.lru.test`);
  notEqual(ca.mintLeaf("h4.lru.test").certPem, h4, "evicted past 256, minted anew");
});

Deno.test("the run CA exposes no private key of its own", () => {
  const ca = createRunCa({ hosts: ["api.example.com"] });
  const seen = JSON.stringify(ca) + Object.getOwnPropertyNames(ca).join(",") +
    Object.getOwnPropertyNames(Object.getPrototypeOf(ca)).join(",");
  ok(!/PRIVATE KEY|privateKey|"key"/.test(seen), seen);
  equal(Object.getOwnPropertySymbols(ca).length, 0);
});
