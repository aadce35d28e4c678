/**
 * A minimal DER writer: just what an X.509 certificate needs (SEQUENCE, SET, INTEGER, OBJECT
 * IDENTIFIER, UTF8String, PrintableString, IA5String, UTCTime, GeneralizedTime, BIT STRING,
 * OCTET STRING, BOOLEAN, NULL, and explicit or implicit context tags). Every function returns
 * the complete encoding (tag, length, content); constructed values take already encoded
 * children. There is no reader: certificates are read back with `node:crypto`'s
 * `X509Certificate`.
 *
 * @example
 * ```ts
 * import { derInteger, derOid, derSequence } from "./der.ts";
 * const algo = derSequence(derOid("1.2.840.10045.4.3.2"));
 * console.assert(algo.length === 12 && algo[0] === 0x30);
 * console.assert(derInteger(new Uint8Array([0x80])).join(",") === "2,2,0,128");
 * ```
 * @module
 */

/** The universal tags this writer emits. */
export const DER_TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
});

const enc = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return new Uint8Array([0x80 | bytes.length, ...bytes]);
}

/**
 * One TLV: `tag` (a single identifier octet, tag numbers up to 30), the DER length, `content`.
 *
 * @example
 * ```ts
 * import { derTlv } from "./der.ts";
 * console.assert(derTlv(0x04, new Uint8Array(200)).subarray(0, 3).join(",") === "4,129,200");
 * ```
 */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`Cannot encode DER tag ${tag}: only single-octet tags are supported`);
  }
  const len = lengthBytes(content.length);
  const out = new Uint8Array(1 + len.length + content.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/**
 * SEQUENCE of already encoded children, in order.
 *
 * @example
 * ```ts
 * import { derSequence } from "./der.ts";
 * console.assert(derSequence().join(",") === "48,0");
 * ```
 */
export function derSequence(...children: Uint8Array[]): Uint8Array {
  return derTlv(DER_TAG.SEQUENCE, concat(children));
}

/**
 * SET OF already encoded children, sorted by their encodings as DER requires.
 *
 * @example
 * ```ts
 * import { derBoolean, derSet } from "./der.ts";
 * console.assert(derSet(derBoolean(true), derBoolean(false)).join(",") === "49,6,1,1,0,1,1,255");
 * ```
 */
export function derSet(...children: Uint8Array[]): Uint8Array {
  const sorted = [...children].sort(compareBytes);
  return derTlv(DER_TAG.SET, concat(sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * INTEGER from unsigned big-endian magnitude bytes (a serial number, a small count as one
 * byte): leading zero bytes are dropped and one is added back when the high bit is set, so the
 * value stays non-negative.
 *
 * @example
 * ```ts
 * import { derInteger } from "./der.ts";
 * console.assert(derInteger(new Uint8Array([0, 0, 5])).join(",") === "2,1,5");
 * console.assert(derInteger(new Uint8Array([])).join(",") === "2,1,0");
 * ```
 */
export function derInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = new Uint8Array([0]);
  if (body[0]! & 0x80) body = concat([new Uint8Array([0]), body]);
  return derTlv(DER_TAG.INTEGER, body);
}

/**
 * INTEGER from a small non-negative safe integer.
 *
 * @example
 * ```ts
 * import { derSmallInteger } from "./der.ts";
 * console.assert(derSmallInteger(2).join(",") === "2,1,2");
 * console.assert(derSmallInteger(128).join(",") === "2,2,0,128");
 * ```
 */
export function derSmallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot encode DER integer ${value}: not a non-negative safe integer`);
  }
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return derInteger(new Uint8Array(bytes));
}

/**
 * OBJECT IDENTIFIER from dotted text.
 *
 * @example
 * ```ts
 * import { derOid } from "./der.ts";
 * console.assert(derOid("2.5.4.3").join(",") === "6,3,85,4,3");
 * ```
 */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => /^\d+$/.test(a) ? Number(a) : NaN);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a))) {
    throw new TypeError(`Cannot encode OID "${dotted}": not dotted decimal`);
  }
  const [a0, a1] = arcs as [number, number];
  if (a0 > 2 || (a0 < 2 && a1 > 39)) {
    throw new TypeError(`Cannot encode OID "${dotted}": first arcs out of range`);
  }
  const out: number[] = [];
  for (const arc of [a0 * 40 + a1, ...arcs.slice(2)]) {
    const groups: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      groups.unshift(0x80 | (v % 128));
    }
    out.push(...groups);
  }
  return derTlv(DER_TAG.OID, new Uint8Array(out));
}

/**
 * UTF8String.
 *
 * @example
 * ```ts
 * import { derUtf8String } from "./der.ts";
 * console.assert(derUtf8String("é").join(",") === "12,2,195,169");
 * ```
 */
export function derUtf8String(text: string): Uint8Array {
  return derTlv(DER_TAG.UTF8_STRING, enc.encode(text));
}

/**
 * PrintableString; throws `TypeError` on a character outside its alphabet.
 *
 * @example
 * ```ts
 * import { derPrintableString } from "./der.ts";
 * console.assert(derPrintableString("DE").join(",") === "19,2,68,69");
 * ```
 */
export function derPrintableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw new TypeError(`Cannot encode "${text}" as a PrintableString: character out of range`);
  }
  return derTlv(DER_TAG.PRINTABLE_STRING, enc.encode(text));
}

/**
 * IA5String (ASCII); throws `TypeError` on a non-ASCII character.
 *
 * @example
 * ```ts
 * import { derIa5String } from "./der.ts";
 * console.assert(derIa5String("a.b").join(",") === "22,3,97,46,98");
 * ```
 */
export function derIa5String(text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      throw new TypeError(`Cannot encode "${text}" as an IA5String: not ASCII`);
    }
  }
  return derTlv(DER_TAG.IA5_STRING, enc.encode(text));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function timeText(date: Date, yearDigits: 2 | 4): string {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new RangeError("Cannot encode an invalid Date");
  const y = date.getUTCFullYear();
  return (yearDigits === 2 ? pad(y % 100, 2) : pad(y, 4)) + pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) + "Z";
}

/**
 * UTCTime `YYMMDDHHMMSSZ` (years 1950 to 2049; milliseconds are dropped).
 *
 * @example
 * ```ts
 * import { derUtcTime } from "./der.ts";
 * const t = derUtcTime(new Date("2026-12-03T12:00:00Z"));
 * console.assert(new TextDecoder().decode(t.subarray(2)) === "261203120000Z");
 * ```
 */
export function derUtcTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (!(y >= 1950 && y <= 2049)) {
    throw new RangeError(`Cannot encode year ${y} as UTCTime: only 1950 to 2049`);
  }
  return derTlv(DER_TAG.UTC_TIME, enc.encode(timeText(date, 2)));
}

/**
 * GeneralizedTime `YYYYMMDDHHMMSSZ` (milliseconds are dropped).
 *
 * @example
 * ```ts
 * import { derGeneralizedTime } from "./der.ts";
 * const t = derGeneralizedTime(new Date("2050-01-01T00:00:00Z"));
 * console.assert(new TextDecoder().decode(t.subarray(2)) === "20500101000000Z");
 * ```
 */
export function derGeneralizedTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) {
    throw new RangeError(`Cannot encode year ${y} as GeneralizedTime`);
  }
  return derTlv(DER_TAG.GENERALIZED_TIME, enc.encode(timeText(date, 4)));
}

/**
 * An X.509 `Time`: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
 *
 * @example
 * ```ts
 * import { derTime } from "./der.ts";
 * console.assert(derTime(new Date("2049-12-31T23:59:59Z"))[0] === 0x17);
 * console.assert(derTime(new Date("2050-01-01T00:00:00Z"))[0] === 0x18);
 * ```
 */
export function derTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  return y >= 1950 && y <= 2049 ? derUtcTime(date) : derGeneralizedTime(date);
}

/**
 * BIT STRING: `unusedBits` (0 to 7) trailing bits of the last byte are padding.
 *
 * @example
 * ```ts
 * import { derBitString } from "./der.ts";
 * console.assert(derBitString(new Uint8Array([0x80]), 7).join(",") === "3,2,7,128");
 * ```
 */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`Cannot encode a BIT STRING with ${unusedBits} unused bits`);
  }
  if (bytes.length === 0 && unusedBits !== 0) {
    throw new RangeError("Cannot encode an empty BIT STRING with unused bits");
  }
  return derTlv(DER_TAG.BIT_STRING, concat([new Uint8Array([unusedBits]), bytes]));
}

/**
 * A named-bit BIT STRING (such as keyUsage) from the numbers of the bits that are set (bit 0 is
 * the most significant bit of the first byte); trailing zero bits are dropped as DER requires.
 *
 * @example
 * ```ts
 * import { derNamedBits } from "./der.ts";
 * console.assert(derNamedBits([5, 6]).join(",") === "3,2,1,6"); // keyCertSign, cRLSign
 * console.assert(derNamedBits([0]).join(",") === "3,2,7,128"); // digitalSignature
 * ```
 */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return derBitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return derBitString(bytes, 7 - (highest & 7));
}

/**
 * OCTET STRING.
 *
 * @example
 * ```ts
 * import { derOctetString } from "./der.ts";
 * console.assert(derOctetString(new Uint8Array([1, 2])).join(",") === "4,2,1,2");
 * ```
 */
export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derTlv(DER_TAG.OCTET_STRING, bytes);
}

/**
 * BOOLEAN (`true` is `0xff` in DER).
 *
 * @example
 * ```ts
 * import { derBoolean } from "./der.ts";
 * console.assert(derBoolean(true).join(",") === "1,1,255");
 * ```
 */
export function derBoolean(value: boolean): Uint8Array {
  return derTlv(DER_TAG.BOOLEAN, new Uint8Array([value ? 0xff : 0]));
}

/**
 * NULL.
 *
 * @example
 * ```ts
 * import { derNull } from "./der.ts";
 * console.assert(derNull().join(",") === "5,0");
 * ```
 */
export function derNull(): Uint8Array {
  return derTlv(DER_TAG.NULL, new Uint8Array(0));
}

function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new RangeError(`Cannot encode context tag [${tagNumber}]: only 0 to 30`);
  }
  return 0x80 | (constructed ? 0x20 : 0) | tagNumber;
}

/**
 * `[tagNumber] EXPLICIT`: a constructed context tag around one encoded value.
 *
 * @example
 * ```ts
 * import { derExplicit, derSmallInteger } from "./der.ts";
 * console.assert(derExplicit(0, derSmallInteger(2)).join(",") === "160,3,2,1,2"); // v3
 * ```
 */
export function derExplicit(tagNumber: number, encoded: Uint8Array): Uint8Array {
  return derTlv(contextTag(tagNumber, true), encoded);
}

/**
 * `[tagNumber] IMPLICIT`: `encoded`'s own tag replaced by the context tag (constructed when the
 * original was, such as a SEQUENCE).
 *
 * @example
 * ```ts
 * import { derIa5String, derImplicit } from "./der.ts";
 * console.assert(derImplicit(2, derIa5String("a")).join(",") === "130,1,97"); // dNSName
 * ```
 */
export function derImplicit(tagNumber: number, encoded: Uint8Array): Uint8Array {
  if (encoded.length < 2) throw new TypeError("Cannot retag an empty DER encoding");
  const out = encoded.slice();
  out[0] = contextTag(tagNumber, (encoded[0]! & 0x20) !== 0);
  return out;
}
