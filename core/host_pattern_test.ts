import assert from "node:assert/strict";
import { Allowlist, normalizeAllowHost, parseAllowlistEntry, splitHostPort } from "./allowlist.ts";

Deno.test("normalizeAllowHost folds case, strips one trailing dot and converts IDNA", () => {
  assert.equal(normalizeAllowHost("API.Example.COM."), "api.example.com");
  assert.equal(normalizeAllowHost("BÜCHER.de"), "xn--bcher-kva.de");
  assert.equal(normalizeAllowHost("xn--bcher-kva.de"), "xn--bcher-kva.de");
  assert.equal(normalizeAllowHost("example.com.."), null);
  assert.equal(normalizeAllowHost("exa mple.com"), null);
  assert.equal(normalizeAllowHost("a..b"), null);
  assert.equal(normalizeAllowHost(""), null);
});

Deno.test("normalizeAllowHost canonicalises IP literals in every encoding", () => {
  for (
    const e of [
      "169.254.169.254",
      "2852039166",
      "0xa9fea9fe",
      "0251.0376.0251.0376",
      "169.254.43518",
    ]
  ) {
    assert.equal(normalizeAllowHost(e), "169.254.169.254", e);
  }
  assert.equal(normalizeAllowHost("[::FFFF:169.254.169.254]"), "::ffff:a9fe:a9fe");
  // A name whose last label is numeric is an IPv4 attempt, never a host name.
  assert.equal(normalizeAllowHost("foo.123"), null);
});

Deno.test("splitHostPort handles names, IPv4, bracketed and bare IPv6", () => {
  assert.deepEqual(splitHostPort("a.test:8080"), { host: "a.test", port: 8080 });
  assert.deepEqual(splitHostPort("a.test"), { host: "a.test", port: null });
  assert.deepEqual(splitHostPort("[::1]:443"), { host: "::1", port: 443 });
  assert.deepEqual(splitHostPort("::1"), { host: "::1", port: null });
  assert.throws(() => splitHostPort("a.test:0"), RangeError);
  assert.deepEqual(splitHostPort("a.test:0", { allowZeroPort: true }), { host: "a.test", port: 0 });
  assert.throws(() => splitHostPort("a.test:99999"), RangeError);
  assert.throws(() => splitHostPort("a.test:x"), TypeError);
  assert.throws(() => splitHostPort("[::1"), TypeError);
});

Deno.test("parseAllowlistEntry refuses a bare star, junk and wildcards over addresses", () => {
  assert.throws(() => parseAllowlistEntry("*"), TypeError);
  assert.throws(() => parseAllowlistEntry("*.10.0.0.1"), TypeError);
  assert.throws(() => parseAllowlistEntry("a/b"), TypeError);
  assert.throws(() => parseAllowlistEntry("*.*.a.test"), TypeError);
  assert.deepEqual(parseAllowlistEntry("*.CDN.test:443"), {
    host: "cdn.test",
    wildcard: true,
    ip: false,
    port: 443,
  });
  assert.deepEqual(parseAllowlistEntry("0x08080404"), {
    host: "8.8.4.4",
    wildcard: false,
    ip: true,
    port: null,
  });
});

Deno.test("Allowlist matches exact hosts, subdomains of wildcards, and ports", () => {
  const list = new Allowlist(["api.example.com", "*.cdn.test", "origin.test:8080", "8.8.4.4"]);
  assert.equal(list.match("api.example.com", 443), "exact");
  assert.equal(list.match("x.api.example.com", 443), null);
  assert.equal(list.match("a.cdn.test", 1), "wildcard");
  assert.equal(list.match("a.b.cdn.test", 1), "wildcard");
  assert.equal(list.match("cdn.test", 443), null, "the apex is not covered by its wildcard");
  assert.equal(list.match("evilcdn.test", 443), null);
  assert.equal(list.match("origin.test", 8080), "exact");
  assert.equal(list.match("origin.test", 80), null);
  assert.equal(list.match("8.8.4.4", 443), "exact");
});
