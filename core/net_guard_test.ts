import assert from "node:assert/strict";
import fc from "fast-check";
import { SecurityBlock, ZuError } from "./errors.ts";
import {
  blockedReason,
  checkHost,
  cidrContains,
  type GuardOptions,
  hostAllowed,
  normalizeHost,
  parseIpLiteral,
  type Resolver,
} from "./net_guard.ts";

/** A resolver over a fixed table; never touches the network. */
function tableResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = (host: string): Promise<string[]> => {
    calls.push(host);
    const answer = table[host];
    return answer === undefined
      ? Promise.reject(new Error(`no such host "${host}"`))
      : Promise.resolve(answer);
  };
  return Object.assign(fn, { calls });
}

const LITERALS: ReadonlyArray<readonly [string, string | null]> = [
  // IPv4 in every inet_aton encoding.
  ["127.0.0.1", "127.0.0.1"],
  ["2130706433", "127.0.0.1"],
  ["0x7f000001", "127.0.0.1"],
  ["0X7F000001", "127.0.0.1"],
  ["017700000001", "127.0.0.1"],
  ["0177.0.0.01", "127.0.0.1"],
  ["0177.0000.0000.0001", "127.0.0.1"],
  ["0x7f.1", "127.0.0.1"],
  ["0x7f.0.0.0x1", "127.0.0.1"],
  ["0x7f.0x0.0x0.0x1", "127.0.0.1"],
  ["127.1", "127.0.0.1"],
  ["127.0.1", "127.0.0.1"],
  ["127.0.0.1.", "127.0.0.1"],
  ["0x0000000000007f000001", "127.0.0.1"],
  ["0", "0.0.0.0"],
  ["0x", "0.0.0.0"],
  ["169.254.43518", "169.254.169.254"],
  ["0xa9fea9fe", "169.254.169.254"],
  ["2852039166", "169.254.169.254"],
  ["0251.0376.0251.0376", "169.254.169.254"],
  ["10.1", "10.0.0.1"],
  ["192.168.257", "192.168.1.1"],
  ["4294967295", "255.255.255.255"],
  ["[127.0.0.1]", null],
  ["4294967296", null],
  ["256.0.0.1", null],
  ["1.2.3.4.5", null],
  ["08.0.0.1", null],
  ["1..2.3", null],
  ["1.2.3.256", null],
  ["127.1.65536", null],
  ["example.com", null],
  ["1e100.net", null],
  ["", null],
  // IPv6.
  ["::1", "::1"],
  ["[::1]", "::1"],
  ["0:0:0:0:0:0:0:1", "::1"],
  ["::", "::"],
  ["[::ffff:127.0.0.1]", "::ffff:7f00:1"],
  ["::FFFF:7F00:1", "::ffff:7f00:1"],
  ["::127.0.0.1", "::7f00:1"],
  ["64:ff9b::10.0.0.1", "64:ff9b::a00:1"],
  ["2002:7f00:1::", "2002:7f00:1::"],
  ["fe80::1%eth0", "fe80::1"],
  ["[fe80::1%25eth0]", "fe80::1"],
  ["FD00:EC2::254", "fd00:ec2::254"],
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
  ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
  ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
  ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ["1:2:3:4:5:6:7:8:9", null],
  ["1::2::3", null],
  ["::ffff:0x7f.1", null],
  ["::ffff:127.1", null],
  ["12345::1", null],
  [":1::", null],
  ["g::1", null],
];

for (const [input, expected] of LITERALS) {
  Deno.test(`parseIpLiteral reads ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
    assert.equal(parseIpLiteral(input), expected);
  });
}

Deno.test("parseIpLiteral agrees with the WHATWG URL parser on IPv4 encodings", () => {
  const part = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom("dec", "hex", "oct"));
  const enc = ([n, radix]: [number, string]): string =>
    radix === "hex" ? `0x${n.toString(16)}` : radix === "oct" ? `0${n.toString(8)}` : String(n);
  fc.assert(
    fc.property(fc.array(part, { minLength: 4, maxLength: 4 }), fc.nat(3), (parts, merge) => {
      // Merge the last `merge` parts into one number (short forms like 127.1).
      const bytes = parts.map(([n]) => n);
      const keep = parts.slice(0, 4 - merge - 1).map(enc);
      let tail = 0;
      for (const b of bytes.slice(4 - merge - 1)) tail = tail * 256 + b;
      const lastRadix = parts[3]?.[1] ?? "dec";
      keep.push(enc([tail, lastRadix]));
      const text = keep.join(".");
      assert.equal(parseIpLiteral(text), new URL(`http://${text}/`).hostname, text);
      assert.equal(parseIpLiteral(text), bytes.join("."), text);
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseIpLiteral agrees with the WHATWG URL parser on IPv6 text", () => {
  fc.assert(
    fc.property(fc.ipV6(), (text) => {
      const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      assert.equal(parseIpLiteral(text), url, text);
    }),
    { numRuns: 500 },
  );
});

const REASONS: ReadonlyArray<readonly [string, string | null]> = [
  // IPv4 special-purpose registry.
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "shared"],
  ["100.127.255.255", "shared"],
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
  ["2001::1", "reserved"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
  ["2001:db8::1", "documentation"],
  ["2001:10::1", "reserved"],
  ["3fff::1", "documentation"],
  ["100::1", "reserved"],
  ["5f00::1", "reserved"],
  ["fc00::1", "private"],
  ["fd12:3456::1", "private"],
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
  ["not-an-ip", "invalid"],
];

for (const [ip, expected] of REASONS) {
  Deno.test(`blockedReason judges ${ip} as ${JSON.stringify(expected)}`, () => {
    assert.equal(blockedReason(ip), expected);
  });
}

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

Deno.test("normalizeHost lowercases and strips brackets and one trailing dot", () => {
  assert.equal(normalizeHost("Shop.Example.COM."), "shop.example.com");
  assert.equal(normalizeHost("[::1]"), "::1");
});

async function refused(host: string, options: GuardOptions = {}): Promise<SecurityBlock> {
  const err = await checkHost(host, options).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SecurityBlock, `expected "${host}" to be refused, got ${String(err)}`);
  assert.equal(err.kind, "ssrf");
  assert.equal(err.target, host);
  return err;
}

const REFUSED_LITERALS = [
  "\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11", // full-width digits and dots
  "127.0.0.1",
  "2130706433",
  "0x7f000001",
  "0177.0.0.01",
  "0x7f.1",
  "127.1",
  "127.0.1",
  "127.0.0.1.",
  "[::1]",
  "[::ffff:127.0.0.1]",
  "[::ffff:7f00:1]",
  "[::127.0.0.1]",
  "[64:ff9b::7f00:1]",
  "[2002:7f00:1::]",
  "[fe80::1%25eth0]",
  "0.0.0.0",
  "0",
  "10.0.0.5",
  "169.254.169.254",
  "0xa9fea9fe",
  "[fd00:ec2::254]",
  "100.100.100.200",
  "192.0.0.192",
  "[2001:db8::1]",
  "[ff02::1]",
];

for (const host of REFUSED_LITERALS) {
  Deno.test(`checkHost refuses the literal "${host}" before any resolution`, async () => {
    const resolver = tableResolver({});
    await refused(host, { resolver });
    assert.deepEqual(resolver.calls, []);
  });
}

for (
  const host of [
    "localhost",
    "LOCALHOST.",
    "api.localhost",
    "metadata.google.internal",
    "metadata",
    "\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3", // circled letters
    "\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54", // full-width letters
  ]
) {
  Deno.test(`checkHost refuses the internal name "${host}" without resolving it`, async () => {
    const resolver = tableResolver({});
    await refused(host, { resolver });
    assert.deepEqual(resolver.calls, []);
  });
}

for (
  const host of [
    "1.2.3.4.5",
    "foo.123",
    "0x7g.1",
    "a..b",
    ".a",
    "a b",
    "::ffff:0x7f.1",
    "[1::2::3]",
  ]
) {
  Deno.test(`checkHost refuses the malformed host ${JSON.stringify(host)}`, async () => {
    const resolver = tableResolver({});
    await refused(host, { resolver });
    assert.deepEqual(resolver.calls, []);
  });
}

Deno.test("checkHost returns the pinned public addresses and resolves once", async () => {
  const resolver = tableResolver({ "shop.test": ["93.184.216.34", "2606:2800:220:1::248"] });
  assert.deepEqual(await checkHost("Shop.Test.", { resolver }), [
    "93.184.216.34",
    "2606:2800:220:1::248",
  ]);
  assert.deepEqual(resolver.calls, ["shop.test"]);
});

Deno.test("checkHost passes a global literal through without resolving", async () => {
  const resolver = tableResolver({});
  assert.deepEqual(await checkHost("[::ffff:8.8.8.8]", { resolver }), ["8.8.8.8"]);
  assert.deepEqual(await checkHost("0x08080808", { resolver }), ["8.8.8.8"]);
  assert.deepEqual(resolver.calls, []);
});

for (
  const inside of [
    "10.0.0.5",
    "127.0.0.1",
    "169.254.169.254",
    "::1",
    "::ffff:127.0.0.1",
    "fd00:ec2::254",
    "0.0.0.0",
  ]
) {
  Deno.test(`checkHost refuses a DNS answer that points inside (${inside})`, async () => {
    const resolver = tableResolver({ "evil.test": ["93.184.216.34", inside] });
    const err = await refused("evil.test", { resolver });
    assert.match(err.message, /resolves to/);
  });
}

Deno.test("checkHost refuses a resolver answer that is not an address", async () => {
  await refused("odd.test", { resolver: tableResolver({ "odd.test": ["localhost"] }) });
});

Deno.test("checkHost reports a name that does not resolve as dns_failed", async () => {
  const err = await checkHost("nowhere.test", { resolver: tableResolver({}) }).catch((e) => e);
  assert.ok(err instanceof ZuError && !(err instanceof SecurityBlock));
  assert.equal(err.code, "dns_failed");
  const empty = await checkHost("empty.test", { resolver: tableResolver({ "empty.test": [] }) })
    .catch((e) => e);
  assert.equal(empty.code, "dns_failed");
});

Deno.test("checkHost lets named private CIDRs through with allowCidrs", async () => {
  const resolver = tableResolver({ "intranet.test": ["10.20.0.7"], "other.test": ["10.30.0.7"] });
  assert.deepEqual(await checkHost("intranet.test", { resolver, allowCidrs: ["10.20.0.0/16"] }), [
    "10.20.0.7",
  ]);
  await refused("other.test", { resolver, allowCidrs: ["10.20.0.0/16"] });
  assert.deepEqual(await checkHost("[fd12::1]", { allowCidrs: ["fd00::/8"] }), ["fd12::1"]);
});

Deno.test("checkHost lets private and shared addresses through with allowPrivate only", async () => {
  const options = { allowPrivate: true };
  assert.deepEqual(await checkHost("192.168.1.10", options), ["192.168.1.10"]);
  assert.deepEqual(await checkHost("100.64.1.1", options), ["100.64.1.1"]);
  assert.deepEqual(await checkHost("[fd12::1]", options), ["fd12::1"]);
  await refused("169.254.1.1", options);
  await refused("224.0.0.1", options);
  await refused("[2001:db8::1]", options);
});

for (
  const host of [
    "127.0.0.1",
    "0x7f.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",
    "[fd00:ec2::254]",
    "100.100.100.200",
    "[64:ff9b::a9fe:a9fe]",
    "[2002:a9fe:a9fe::]",
    "0.0.0.0",
  ]
) {
  Deno.test(`checkHost never lets "${host}" through, whatever the options`, async () => {
    await refused(host, { allowPrivate: true, allowCidrs: ["0.0.0.0/0", "::/0"] });
  });
}

Deno.test("checkHost never lets a name resolving to loopback through, whatever the options", async () => {
  const resolver = tableResolver({ "rebind.test": ["127.0.0.1"] });
  await refused("rebind.test", { resolver, allowPrivate: true, allowCidrs: ["127.0.0.0/8"] });
});

Deno.test("blockedReason gives mapped and NAT64 forms the verdict of the IPv4 address they carry", () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const reason = blockedReason(ip);
      const first = Number(ip.split(".")[0]);
      if (first === 10 || first === 127 || first === 0 || first >= 224) {
        assert.notEqual(reason, null);
      }
      // Every mapped form gets the same verdict as the address itself.
      assert.equal(blockedReason(`::ffff:${ip}`), reason);
      assert.equal(blockedReason(`64:ff9b::${ip}`), reason);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("hostAllowed matches exact hosts and *.domain wildcards, case-folded", () => {
  const list = ["Shop.Example.com", "*.cdn.test.", "93.184.216.34", "[2606:2800:220:1::248]"];
  assert.ok(hostAllowed("shop.example.com.", list));
  assert.ok(hostAllowed("SHOP.EXAMPLE.COM", list));
  assert.ok(!hostAllowed("www.shop.example.com", list));
  assert.ok(hostAllowed("a.cdn.test", list));
  assert.ok(hostAllowed("a.b.cdn.test", list));
  assert.ok(!hostAllowed("cdn.test", list));
  assert.ok(!hostAllowed("evilcdn.test", list));
  assert.ok(hostAllowed("0x5db8d822", list));
  assert.ok(hostAllowed("[2606:2800:220:1:0:0:0:248]", list));
  assert.ok(!hostAllowed("", list));
  assert.ok(hostAllowed("anything.test", ["*"]));
  assert.ok(!hostAllowed("anything.test", []));
});
