import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derTlv,
  derUtcTime,
  derUtf8String,
} from "./der.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("der writes the known encodings of integers, OIDs, strings and tags", () => {
  equal(hex(derSmallInteger(0)), "020100");
  equal(hex(derSmallInteger(127)), "02017f");
  equal(hex(derSmallInteger(128)), "02020080");
  equal(hex(derSmallInteger(256)), "02020100");
  equal(hex(derInteger(new Uint8Array([0, 0, 0x7f]))), "02017f");
  equal(hex(derInteger(new Uint8Array([0xff, 0x01]))), "020300ff01");
  // RSA encryption, sha256WithRSA, commonName, id-ce-nameConstraints, a large arc
  equal(hex(derOid("1.2.840.113549.1.1.1")), "06092a864886f70d010101");
  equal(hex(derOid("1.2.840.113549.1.1.11")), "06092a864886f70d01010b");
  equal(hex(derOid("2.5.4.3")), "0603550403");
  equal(hex(derOid("2.5.29.30")), "0603551d1e");
  equal(hex(derOid("2.999.3")), "0603883703");
  equal(hex(derUtf8String("zu")), "0c027a75");
  equal(hex(derPrintableString("US")), "13025553");
  equal(hex(derIa5String("a")), "160161");
  equal(hex(derBoolean(true)), "0101ff");
  equal(hex(derBoolean(false)), "010100");
  equal(hex(derNull()), "0500");
  equal(hex(derOctetString(new Uint8Array([1]))), "040101");
  equal(hex(derBitString(new Uint8Array([0xa0]), 5)), "030205a0");
  equal(hex(derNamedBits([5, 6])), "03020106");
  equal(hex(derNamedBits([0])), "03020780");
  equal(hex(derNamedBits([0, 8])), "0303078080");
  equal(hex(derExplicit(3, derNull())), "a3020500");
  equal(hex(derImplicit(0, derSequence(derNull()))), "a0020500");
  equal(hex(derImplicit(7, derOctetString(new Uint8Array([127, 0, 0, 1])))), "87047f000001");
});

Deno.test("der writes short, one-byte and two-byte lengths", () => {
  deepEqual([...derTlv(0x04, new Uint8Array(127)).subarray(0, 2)], [0x04, 127]);
  deepEqual([...derTlv(0x04, new Uint8Array(128)).subarray(0, 3)], [0x04, 0x81, 128]);
  deepEqual([...derTlv(0x04, new Uint8Array(300)).subarray(0, 4)], [0x04, 0x82, 0x01, 0x2c]);
  equal(derTlv(0x04, new Uint8Array(70000)).length, 70000 + 5);
});

Deno.test("der sorts SET OF by encoding and keeps SEQUENCE order", () => {
  const a = derSmallInteger(2);
  const b = derSmallInteger(1);
  equal(hex(derSet(a, b)), "3106020101020102");
  equal(hex(derSequence(a, b)), "3006020102020101");
});

Deno.test("der writes UTCTime through 2049 and GeneralizedTime after", () => {
  const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(2));
  equal(text(derUtcTime(new Date("1999-01-02T03:04:05.678Z"))), "990102030405Z");
  equal(text(derGeneralizedTime(new Date("2050-06-07T08:09:10Z"))), "20500607080910Z");
  equal(derTime(new Date("2049-12-31T23:59:59Z"))[0], 0x17);
  equal(derTime(new Date("2050-01-01T00:00:00Z"))[0], 0x18);
  throws(() => derUtcTime(new Date("2050-01-01T00:00:00Z")), RangeError);
});

Deno.test("der refuses what it cannot encode", () => {
  throws(() => derOid("1"), TypeError);
  throws(() => derOid("3.1"), TypeError);
  throws(() => derOid("1.40"), TypeError);
  throws(() => derOid("1.2.x"), TypeError);
  throws(() => derPrintableString("a@b"), TypeError);
  throws(() => derIa5String("é"), TypeError);
  throws(() => derSmallInteger(-1), RangeError);
  throws(() => derBitString(new Uint8Array([1]), 8), RangeError);
  throws(() => derExplicit(31, derNull()), RangeError);
  throws(() => derTlv(0x1f, new Uint8Array()), RangeError);
});

Deno.test("der OIDs match node:crypto's own encoding of an EC public key", () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const alg = derSequence(derOid("1.2.840.10045.2.1"), derOid("1.2.840.10045.3.1.7"));
  deepEqual(spki.subarray(2, 2 + alg.length), alg);
});

Deno.test("der builds a self-signed certificate that X509Certificate parses and verifies", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const name = derSequence(
    derSet(derSequence(derOid("2.5.4.6"), derPrintableString("DE"))),
    derSet(derSequence(derOid("2.5.4.3"), derUtf8String("dér test"))),
  );
  const alg = derSequence(derOid("1.2.840.10045.4.3.2"));
  const tbs = derSequence(
    derExplicit(0, derSmallInteger(2)),
    derInteger(new Uint8Array([0x9f, 1, 2, 3])),
    alg,
    name,
    derSequence(
      derUtcTime(new Date("2026-01-01T00:00:00Z")),
      derGeneralizedTime(new Date("2051-01-01T00:00:00Z")),
    ),
    name,
    spki,
    derExplicit(
      3,
      derSequence(
        derSequence(
          derOid("2.5.29.19"),
          derBoolean(true),
          derOctetString(derSequence(derBoolean(true))),
        ),
        derSequence(
          derOid("2.5.29.17"),
          derOctetString(derSequence(derImplicit(2, derIa5String("der.test")))),
        ),
      ),
    ),
  );
  const cert = derSequence(tbs, alg, derBitString(new Uint8Array(sign("sha256", tbs, privateKey))));
  const x = new X509Certificate(cert);
  equal(x.serialNumber.toUpperCase(), "9F010203");
  equal(x.subject, "C=DE\nCN=dér test");
  equal(x.subjectAltName, "DNS:der.test");
  equal(x.ca, true);
  equal(new Date(x.validTo).toISOString(), "2051-01-01T00:00:00.000Z");
  ok(x.verify(publicKey));
  ok(x.checkIssued(x));
});
