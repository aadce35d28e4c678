/**
 * X.509 v3 pieces for the run CA (private): names, extensions, the TBSCertificate and the
 * signed certificate, all ECDSA P-256 with SHA-256, written with `der.ts`.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, type KeyObject, sign } from "node:crypto";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derImplicit,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUtf8String,
} from "./der.ts";

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  subjectKeyId: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  authorityKeyId: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** Key usage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** The upper bound of a commonName (RFC 5280 `ub-common-name`). */
export const MAX_CN_LENGTH = 64;

/** A distinguished name with an optional organisation and a common name (empty when neither). */
export function x509Name(parts: { cn?: string; o?: string }): Uint8Array {
  const rdns: Uint8Array[] = [];
  if (parts.o !== undefined) {
    rdns.push(derSet(derSequence(derOid(OID.organization), derUtf8String(parts.o))));
  }
  if (parts.cn !== undefined) {
    rdns.push(derSet(derSequence(derOid(OID.commonName), derUtf8String(parts.cn))));
  }
  return derSequence(...rdns);
}

/** One Extension; `critical` is written only when true (DER omits a default). */
export function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

/** The 65-byte uncompressed point of a P-256 SubjectPublicKeyInfo. */
function ecPoint(spki: Uint8Array): Uint8Array {
  if (spki.length !== 91 || spki[23] !== 0x03 || spki[25] !== 0 || spki[26] !== 0x04) {
    throw new TypeError("Cannot read the key: not an uncompressed P-256 SubjectPublicKeyInfo");
  }
  return spki.subarray(26);
}

/** The key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(ecPoint(spki)).digest());
}

/** The 4 or 16 bytes of a canonical IPv4 or IPv6 address text. */
export function ipBytes(ip: string): Uint8Array {
  if (ip.includes(".") && !ip.includes(":")) {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
      throw new TypeError(`Cannot read "${ip}" as an IPv4 address`);
    }
    return new Uint8Array(parts);
  }
  const halves = ip.split("::");
  if (halves.length > 2) throw new TypeError(`Cannot read "${ip}" as an IPv6 address`);
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) {
    throw new TypeError(`Cannot read "${ip}" as an IPv6 address`);
  }
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new TypeError(`Cannot read "${ip}" as an IPv6 address`);
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** A GeneralName for a canonical host: `iPAddress` [7] for a literal, `dNSName` [2] otherwise. */
export function generalName(host: string, ip: boolean): Uint8Array {
  return ip ? derImplicit(7, derOctetString(ipBytes(host))) : derImplicit(2, derIa5String(host));
}

/** One GeneralSubtree base: a dNSName, or an iPAddress with an all-ones mask (or `/0`). */
function subtree(host: string, ip: boolean, prefixZero = false): Uint8Array {
  if (!ip) return derSequence(derImplicit(2, derIa5String(host)));
  const addr = ipBytes(host);
  const mask = new Uint8Array(addr.length).fill(prefixZero ? 0 : 0xff);
  const both = new Uint8Array(addr.length * 2);
  both.set(addr);
  both.set(mask, addr.length);
  return derSequence(derImplicit(7, derOctetString(both)));
}

/** A NameConstraints value (RFC 5280 §4.2.1.10) for the bound hosts. */
export function nameConstraintsValue(
  names: readonly string[],
  ips: readonly string[],
): Uint8Array {
  const permitted = [
    // With no name bound, only the reserved `invalid` TLD (RFC 6761) is permitted, so no real
    // name can ever be minted: a dNSName type without a permitted subtree would be unconstrained.
    ...(names.length > 0 ? names : ["invalid"]).map((n) => subtree(n, false)),
    ...ips.map((ip) => subtree(ip, true)),
  ];
  const parts = [derImplicit(0, derSequence(...permitted))];
  if (ips.length === 0) {
    // Likewise for addresses: with none bound, every IPv4 and IPv6 address is excluded.
    parts.push(
      derImplicit(1, derSequence(subtree("0.0.0.0", true, true), subtree("::", true, true))),
    );
  }
  return derSequence(...parts);
}

/** Everything that goes into one certificate. */
export interface CertFields {
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Uint8Array[];
}

const SIG_ALG = derSequence(derOid(OID.ecdsaWithSha256));

/** Builds and signs one v3 certificate with `issuerKey` (ECDSA P-256, SHA-256); returns DER. */
export function signCertificate(fields: CertFields, issuerKey: KeyObject): Uint8Array {
  const tbs = derSequence(
    derExplicit(0, derSmallInteger(2)),
    derInteger(fields.serial),
    SIG_ALG,
    fields.issuer,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    fields.subject,
    fields.spki,
    derExplicit(3, derSequence(...fields.extensions)),
  );
  const signature = new Uint8Array(sign("sha256", tbs, issuerKey));
  return derSequence(tbs, SIG_ALG, derBitString(signature));
}

/** The extensions of the run CA. */
export function caExtensions(
  keyId: Uint8Array,
  names: readonly string[],
  ips: readonly string[],
): Uint8Array[] {
  return [
    extension(OID.basicConstraints, true, derSequence(derBoolean(true), derSmallInteger(0))),
    extension(OID.keyUsage, true, derNamedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    extension(OID.subjectKeyId, false, derOctetString(keyId)),
    extension(OID.nameConstraints, true, nameConstraintsValue(names, ips)),
  ];
}

/** The extensions of a server leaf for `host`; the SAN is critical when the subject is empty. */
export function leafExtensions(
  host: string,
  ip: boolean,
  keyId: Uint8Array,
  caKeyId: Uint8Array,
  emptySubject: boolean,
): Uint8Array[] {
  return [
    extension(OID.basicConstraints, true, derSequence()),
    extension(OID.keyUsage, true, derNamedBits([KEY_USAGE.digitalSignature])),
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.serverAuth))),
    extension(OID.subjectAltName, emptySubject, derSequence(generalName(host, ip))),
    extension(OID.subjectKeyId, false, derOctetString(keyId)),
    extension(OID.authorityKeyId, false, derSequence(derImplicit(0, derOctetString(caKeyId)))),
  ];
}

/** PEM armour for a DER certificate. */
export function certPem(der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.length).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
