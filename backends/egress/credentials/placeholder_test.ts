import { equal, notEqual, ok, throws } from "node:assert/strict";
import { mintPlaceholder, PlaceholderSet, sha256Prefix } from "./placeholder.ts";

Deno.test("mintPlaceholder gives zu_ph_<name>_ and 22 base64url characters, fresh each time", () => {
  const a = mintPlaceholder("GH_TOKEN");
  ok(/^zu_ph_GH_TOKEN_[A-Za-z0-9_-]{22}$/.test(a));
  notEqual(a, mintPlaceholder("GH_TOKEN"));
});

Deno.test("mintPlaceholder pads to a longer real value with base64url characters, never cuts", () => {
  const long = mintPlaceholder("K", 120);
  equal(long.length, 120);
  ok(/^zu_ph_K_[A-Za-z0-9_-]+$/.test(long));
  equal(mintPlaceholder("K", 5).length, "zu_ph_K_".length + 22);
});

Deno.test("mintPlaceholder refuses a name outside the secret-name grammar", () => {
  throws(() => mintPlaceholder("a b"), TypeError);
  throws(() => mintPlaceholder("1abc"), TypeError);
});

Deno.test("PlaceholderSet maps both ways and mints once per name", () => {
  const s = new PlaceholderSet();
  const a = s.add("A", 50);
  equal(s.add("A", 90), a);
  equal(s.placeholderOf("A"), a);
  equal(s.secretOf(a), "A");
  equal(s.secretOf("zu_ph_A_x"), undefined);
  s.add("B");
  equal(s.size, 2);
  equal(s.maxLength, 50);
  equal(s.entries().map(([n]) => n).join(), "A,B");
});

Deno.test("sha256Prefix is the first 12 hex characters of SHA-256", () => {
  equal(sha256Prefix("abc"), "ba7816bf8f01");
});
