import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalAddress,
  isCanonicalLiteral,
  normalizeHost,
  parseIpLiteral,
} from "./host_normalize.ts";

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

Deno.test("normalizeHost folds case, strips brackets and one trailing dot and converts IDNA", () => {
  assert.equal(normalizeHost("Shop.Example.COM."), "shop.example.com");
  assert.equal(normalizeHost(" API.Example.COM. "), "api.example.com");
  assert.equal(normalizeHost("[::1]"), "::1");
  assert.equal(normalizeHost("BÜCHER.de"), "xn--bcher-kva.de");
  assert.equal(normalizeHost("bücher.de."), normalizeHost("xn--bcher-kva.de"));
  assert.equal(normalizeHost("ＳＨＯＰ.test"), "shop.test");
  assert.equal(
    normalizeHost("\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11"),
    "127.0.0.1",
  );
  assert.equal(normalizeHost("ex.com\u3002"), "ex.com");
});

Deno.test("normalizeHost refuses what is neither a name nor an address", () => {
  for (
    const bad of [
      "",
      " ",
      "example.com..",
      "exa mple.com",
      "a..b",
      ".a",
      "foo.123",
      "1.2.3.256",
      "*",
      "*.a.test",
      "a/b",
      "::ffff:0x7f.1",
      "[1::2::3]",
      "[127.0.0.1]",
      "a:b",
      "a\tb.test",
      "a\nb.test",
      "a\u0000b.test",
    ]
  ) {
    assert.equal(normalizeHost(bad), null, bad);
  }
});

Deno.test("normalizeHost gives every encoding of an address one canonical text", () => {
  for (
    const e of [
      "169.254.169.254",
      "2852039166",
      "0xa9fea9fe",
      "0xA9.0xFE.0xA9.0xFE",
      "0251.0376.0251.0376",
      "169.254.43518",
      "[::ffff:169.254.169.254]",
      "::FFFF:A9FE:A9FE",
      "169.254.169.254.",
    ]
  ) {
    assert.equal(normalizeHost(e), "169.254.169.254", e);
  }
  assert.equal(normalizeHost("[::127.0.0.1]"), "::7f00:1");
  assert.equal(normalizeHost("[64:FF9B::127.0.0.1]"), "64:ff9b::7f00:1");
  assert.equal(normalizeHost("[fe80::1%25eth0]"), "fe80::1");
});

Deno.test("canonicalAddress dials a mapped address as its IPv4 address and keeps other IPv6 text", () => {
  assert.equal(canonicalAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalAddress("2001:DB8::1"), "2001:db8::1");
  assert.equal(canonicalAddress("shop.test"), null);
});

Deno.test("isCanonicalLiteral accepts only the canonical spelling of an address", () => {
  for (const ok of ["127.0.0.1", "10.0.0.5", "[::1]", "::1", "2001:db8::1"]) {
    assert.ok(isCanonicalLiteral(ok), ok);
  }
  for (
    const no of [
      "2130706433",
      "0x7f.1",
      "127.1",
      "[::ffff:127.0.0.1]",
      "::ffff:7f00:1",
      "[0:0:0:0:0:0:0:1]",
      "shop.test",
      "010.0.0.5",
    ]
  ) {
    assert.ok(!isCanonicalLiteral(no), no);
  }
});

Deno.test("normalizeHost is idempotent on names and addresses", () => {
  fc.assert(
    fc.property(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (h) => {
      const once = normalizeHost(h);
      if (once !== null) assert.equal(normalizeHost(once), once, h);
    }),
    { numRuns: 500 },
  );
});
