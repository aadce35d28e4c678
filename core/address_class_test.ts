import assert from "node:assert/strict";
import fc from "fast-check";
import { addressClass, cidrContains, embeddedIpv4 } from "./address_class.ts";

const REASONS: ReadonlyArray<readonly [string, string | null]> = [
  // IPv4 special-purpose registry.
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "private"],
  ["100.127.255.255", "private"],
  ["100.128.0.0", null],
  ["100.63.255.255", null],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.0.1", "link-local"],
  ["169.254.169.254", "metadata"],
  ["169.254.170.2", "metadata"],
  ["169.254.170.23", "metadata"],
  ["100.100.100.200", "metadata"],
  ["192.0.0.192", "metadata"],
  ["168.63.129.16", "metadata"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", null],
  ["172.15.255.255", null],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["192.88.99.1", "reserved"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["198.20.0.0", null],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.254", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["8.8.8.8", null],
  ["93.184.216.34", null],
  ["1.1.1.1", null],
  // Encodings reach the same verdicts.
  ["2130706433", "loopback"],
  ["0x7f.1", "loopback"],
  ["0177.0.0.1", "loopback"],
  ["0xa9fea9fe", "metadata"],
  ["012.0.0.1", "private"],
  // IPv6 special-purpose registry.
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:169.254.169.254", "metadata"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:8.8.8.8", null],
  ["::127.0.0.1", "loopback"],
  ["::8.8.8.8", "reserved"],
  ["64:ff9b::127.0.0.1", "loopback"],
  ["64:ff9b::169.254.169.254", "metadata"],
  ["64:ff9b::8.8.8.8", null],
  ["64:ff9b:1::1", "private"],
  ["2002:7f00:1::", "loopback"],
  ["2002:a9fe:a9fe::1", "metadata"],
  ["2002:a00:1::", "private"],
  ["2002:808:808::", null],
  ["2001::1", "teredo"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
  ["2001:db8::1", "documentation"],
  ["2001:10::1", "reserved"],
  ["3fff::1", "documentation"],
  ["100::1", "reserved"],
  ["5f00::1", "reserved"],
  ["fc00::1", "ula"],
  ["fd12:3456::1", "ula"],
  ["fd00:ec2::254", "metadata"],
  ["fd00:ec2::23", "metadata"],
  ["fe80::1", "link-local"],
  ["febf::1", "link-local"],
  ["fec0::1", "private"],
  ["ff02::1", "multicast"],
  ["::ffff:0:7f00:1", "reserved"],
  ["4000::1", "reserved"],
  ["2606:4700:4700::1111", null],
  ["2a00:1450:4001::200e", null],
  ["2001:2::1", "benchmarking"],
  ["::ffff:0.0.0.0", "unspecified"],
  ["64:ff9b::192.168.1.1", "private"],
  ["2002:6440:1::", "private"],
];

for (const [ip, expected] of REASONS) {
  Deno.test(`addressClass judges ${ip} as ${JSON.stringify(expected)}`, () => {
    assert.equal(addressClass(ip), expected);
  });
}

Deno.test("addressClass refuses to classify what is not an address", () => {
  assert.throws(() => addressClass("not-an-ip"), TypeError);
  assert.throws(() => addressClass("shop.test"), TypeError);
});

Deno.test("embeddedIpv4 reads the IPv4 address of every IPv4-in-IPv6 form", () => {
  assert.equal(embeddedIpv4("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(embeddedIpv4("::7f00:1"), "127.0.0.1");
  assert.equal(embeddedIpv4("64:ff9b::a9fe:a9fe"), "169.254.169.254");
  assert.equal(embeddedIpv4("2002:a00:1::"), "10.0.0.1");
  assert.equal(embeddedIpv4("2606:4700::1"), null);
  assert.equal(embeddedIpv4("10.0.0.1"), null);
});

Deno.test("cidrContains matches IPv4, IPv6, bare addresses and mapped addresses", () => {
  assert.ok(cidrContains("10.0.0.0/8", "10.200.3.4"));
  assert.ok(!cidrContains("10.0.0.0/8", "11.0.0.0"));
  assert.ok(cidrContains("0.0.0.0/0", "8.8.8.8"));
  assert.ok(cidrContains("192.168.1.7", "192.168.1.7"));
  assert.ok(!cidrContains("192.168.1.7", "192.168.1.8"));
  assert.ok(cidrContains("10.0.0.0/8", "::ffff:10.1.1.1"));
  assert.ok(cidrContains("fd00::/8", "fd12::1"));
  assert.ok(!cidrContains("fd00::/8", "fe80::1"));
  assert.ok(!cidrContains("10.0.0.0/8", "fd00::1"));
  assert.ok(cidrContains("10.0.0.0/8", "012.1"));
  assert.ok(!cidrContains("10.0.0.0/8", "example.com"));
  assert.throws(() => cidrContains("10.0.0.0/33", "10.0.0.1"), TypeError);
  assert.throws(() => cidrContains("nope/8", "10.0.0.1"), TypeError);
});

Deno.test("addressClass gives mapped, compatible, NAT64 and 6to4 forms the verdict of the IPv4 address they carry", () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const reason = addressClass(ip);
      const first = Number(ip.split(".")[0]);
      if (first === 10 || first === 127 || first === 0 || first >= 224) {
        assert.notEqual(reason, null);
      }
      // Every mapped form gets the same verdict as the address itself.
      assert.equal(addressClass(`::ffff:${ip}`), reason);
      assert.equal(addressClass(`64:ff9b::${ip}`), reason);
      const [a, b, c, d] = ip.split(".").map(Number) as [number, number, number, number];
      const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
      assert.equal(addressClass(`2002:${hex(a, b)}:${hex(c, d)}::1`), reason);
      assert.equal(addressClass(`::${ip}`), reason ?? "reserved");
    }),
    { numRuns: 1000 },
  );
});
