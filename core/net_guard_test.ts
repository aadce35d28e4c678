import assert from "node:assert/strict";
import { SecurityBlock, ZuError } from "./errors.ts";
import { checkHost, type GuardOptions, type Resolver } from "./net_guard.ts";

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
