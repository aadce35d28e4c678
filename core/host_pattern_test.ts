import assert from "node:assert/strict";
import { splitHostPort } from "./host_port.ts";
import { netFlagEntries, parseHostPattern, patternMatches } from "./host_pattern.ts";
import { HostAllowlist, urlPort } from "./host_allowlist.ts";

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

Deno.test("parseHostPattern refuses a bare star, globs, URLs, junk and wildcards over addresses", () => {
  for (
    const bad of [
      "*",
      "*:443",
      "",
      " ",
      "*.10.0.0.1",
      "a/b",
      "https://a.test",
      "*.*.a.test",
      "api*.test",
      "a.*.test",
      "a b",
      "user@a.test",
      "*.",
    ]
  ) {
    assert.throws(() => parseHostPattern(bad), TypeError, bad);
  }
  assert.deepEqual(parseHostPattern("*.CDN.test:443"), {
    host: "cdn.test",
    wildcard: true,
    ip: false,
    port: 443,
  });
  assert.deepEqual(parseHostPattern("0x08080404"), {
    host: "8.8.4.4",
    wildcard: false,
    ip: true,
    port: null,
  });
  assert.deepEqual(parseHostPattern("[::FFFF:8.8.4.4]:53"), {
    host: "8.8.4.4",
    wildcard: false,
    ip: true,
    port: 53,
  });
  assert.deepEqual(parseHostPattern("*.bücher.de"), {
    host: "xn--bcher-kva.de",
    wildcard: true,
    ip: false,
    port: null,
  });
});

Deno.test("a wildcard covers its apex and every subdomain, never a look-alike", () => {
  const p = parseHostPattern("*.example.com");
  assert.ok(patternMatches(p, "example.com", 443));
  assert.ok(patternMatches(p, "a.example.com", 443));
  assert.ok(patternMatches(p, "a.b.example.com", 80));
  assert.ok(!patternMatches(p, "evilexample.com", 443));
  assert.ok(!patternMatches(p, "example.com.evil.test", 443));
});

Deno.test("a pattern without a port covers 80 and 443 only; a declared port only itself", () => {
  const bare = parseHostPattern("shop.example");
  assert.ok(patternMatches(bare, "shop.example", 80));
  assert.ok(patternMatches(bare, "shop.example", 443));
  assert.ok(!patternMatches(bare, "shop.example", 8443));
  const ported = parseHostPattern("shop.example:8443");
  assert.ok(patternMatches(ported, "shop.example", 8443));
  assert.ok(!patternMatches(ported, "shop.example", 443));
});

Deno.test("netFlagEntries grants exactly what the pattern covers", () => {
  assert.deepEqual(netFlagEntries(parseHostPattern("Shop.Example.")), [
    "shop.example:80",
    "shop.example:443",
  ]);
  assert.deepEqual(netFlagEntries(parseHostPattern("*.cdn.test:8443")), ["*.cdn.test:8443"]);
  assert.deepEqual(netFlagEntries(parseHostPattern("2130706433:81")), ["127.0.0.1:81"]);
  assert.deepEqual(netFlagEntries(parseHostPattern("[2606:4700::1]")), [
    "[2606:4700::1]:80",
    "[2606:4700::1]:443",
  ]);
});

Deno.test("HostAllowlist matches exact hosts, wildcards with their apex, IDNA and ports", () => {
  const list = new HostAllowlist([
    "api.example.com",
    "*.cdn.test",
    "origin.test:8080",
    "8.8.4.4",
    "bücher.de",
    "[2606:2800:220:1::248]",
  ]);
  assert.equal(list.match("api.example.com", 443), "exact");
  assert.equal(list.match("API.Example.COM.", 80), "exact");
  assert.equal(list.match("x.api.example.com", 443), null);
  assert.equal(list.match("a.cdn.test", 443), "wildcard");
  assert.equal(list.match("a.b.cdn.test", 80), "wildcard");
  assert.equal(list.match("cdn.test", 443), "wildcard", "the apex is covered by its wildcard");
  assert.equal(list.match("a.cdn.test", 1), null);
  assert.equal(list.match("evilcdn.test", 443), null);
  assert.equal(list.match("origin.test", 8080), "exact");
  assert.equal(list.match("origin.test", 80), null);
  assert.equal(list.match("0x08080404", 443), "exact");
  assert.equal(list.match("[::ffff:8.8.4.4]", 443), "exact");
  assert.equal(list.match("xn--bcher-kva.de", 443), "exact");
  assert.equal(list.match("BÜCHER.de.", 443), "exact");
  assert.equal(list.match("[2606:2800:220:1:0:0:0:248]", 443), "exact");
  assert.equal(list.match("", 443), null);
  assert.equal(new HostAllowlist([]).match("anything.test", 443), null);
});

Deno.test("HostAllowlist refuses an entry outside the grammar", () => {
  assert.throws(() => new HostAllowlist(["ok.test", "*"]), TypeError);
});

Deno.test("urlPort reads the explicit port or the scheme's default", () => {
  assert.equal(urlPort(new URL("https://a.test/")), 443);
  assert.equal(urlPort(new URL("http://a.test/")), 80);
  assert.equal(urlPort(new URL("http://a.test:8080/")), 8080);
  assert.equal(urlPort(new URL("ftp://a.test/")), null);
});
