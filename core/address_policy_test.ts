import assert from "node:assert/strict";
import { addressRefusal, isInternalName } from "./address_policy.ts";

Deno.test("addressRefusal passes global addresses and refuses every non-global class by default", () => {
  assert.equal(addressRefusal("93.184.216.34"), null);
  assert.equal(addressRefusal("2606:4700::1111"), null);
  assert.equal(addressRefusal("64:ff9b::808:808"), null);
  assert.equal(addressRefusal("10.0.0.1"), "private");
  assert.equal(addressRefusal("fd12::1"), "ula");
  assert.equal(addressRefusal("fe80::1"), "link-local");
  assert.equal(addressRefusal("2001::1"), "teredo");
  assert.equal(addressRefusal("::ffff:127.0.0.1"), "loopback");
});

Deno.test("addressRefusal lifts private and unique-local addresses only with allowPrivate or allowCidrs", () => {
  assert.equal(addressRefusal("10.0.0.1", { allowPrivate: true }), null);
  assert.equal(addressRefusal("fd12::1", { allowPrivate: true }), null);
  assert.equal(addressRefusal("169.254.1.1", { allowPrivate: true }), "link-local");
  assert.equal(addressRefusal("10.20.0.1", { allowCidrs: ["10.20.0.0/16"] }), null);
  assert.equal(addressRefusal("10.30.0.1", { allowCidrs: ["10.20.0.0/16"] }), "private");
});

Deno.test("addressRefusal never lifts loopback, metadata or unspecified through options", () => {
  const open = { allowPrivate: true, allowCidrs: ["0.0.0.0/0", "::/0"] };
  for (
    const ip of [
      "127.0.0.1",
      "::1",
      "169.254.169.254",
      "fd00:ec2::254",
      "0.0.0.0",
      "::",
      "64:ff9b::7f00:1",
      "2002:a9fe:a9fe::",
    ]
  ) {
    assert.notEqual(addressRefusal(ip, open), null, ip);
  }
});

Deno.test("a declared canonical literal lifts only loopback and private, never metadata or an embedded form", () => {
  const declared = { declaredLiteral: true };
  assert.equal(addressRefusal("127.0.0.1", declared), null);
  assert.equal(addressRefusal("::1", declared), null);
  assert.equal(addressRefusal("192.168.1.10", declared), null);
  assert.equal(addressRefusal("169.254.169.254", declared), "metadata");
  assert.equal(addressRefusal("169.254.1.1", declared), "link-local");
  assert.equal(addressRefusal("0.0.0.0", declared), "unspecified");
  assert.equal(addressRefusal("::ffff:7f00:1", declared), "loopback");
  assert.equal(addressRefusal("::7f00:1", declared), "loopback");
  assert.equal(addressRefusal("64:ff9b::a00:1", declared), "private");
  assert.equal(addressRefusal("fd12::1", declared), "ula");
});

Deno.test("isInternalName names localhost, its subdomains and metadata names", () => {
  for (const n of ["localhost", "a.localhost", "metadata.google.internal", "instance-data"]) {
    assert.ok(isInternalName(n), n);
  }
  for (const n of ["localhost.example", "shop.test", "metadata.example"]) {
    assert.ok(!isInternalName(n), n);
  }
});
