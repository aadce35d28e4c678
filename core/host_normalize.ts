/**
 * The one host normaliser of zu's host policy. Every enforcement point (the `allowed_domains`
 * gate, `http_fetch`, the egress proxy, the Deno jail's flag builder) normalises a host with
 * {@link normalizeHost} before matching or classifying it, so the same text means the same host
 * everywhere.
 *
 * Rules, in order: trim; strip IPv6 brackets and a zone id; strip one trailing root dot (never
 * two); fold case; an IP literal in any encoding becomes its canonical text (dotted IPv4 for
 * decimal `2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, short `127.1` forms and for
 * IPv4-mapped IPv6 `::ffff:a.b.c.d`, which every socket layer dials as the IPv4 address; RFC 5952
 * text for every other IPv6 address, IPv4-compatible `::a.b.c.d` included); any other name is
 * converted from IDNA to punycode (`bücher.de` becomes `xn--bcher-kva.de`) and must then be a valid
 * DNS name whose last label is not numeric.
 *
 * @example
 * ```ts
 * import { normalizeHost } from "./host_normalize.ts";
 * console.assert(normalizeHost(" Shop.Example.COM. ") === "shop.example.com");
 * console.assert(normalizeHost("BÜCHER.de") === "xn--bcher-kva.de");
 * console.assert(normalizeHost("0x7f.1") === "127.0.0.1");
 * console.assert(normalizeHost("[::FFFF:169.254.169.254]") === "169.254.169.254");
 * console.assert(normalizeHost("a..b") === null);
 * ```
 * @module
 */
import { domainToASCII } from "node:url";
import { format, formatV4, parseAddr, V4_MAX } from "./_ip_address.ts";

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses an IPv4 or IPv6 literal in any encoding and returns its RFC text (dotted IPv4, or
 * lowercase RFC 5952 compressed IPv6, hex groups only; an IPv4-mapped address stays IPv6 text
 * here), or null when `host` is not an IP literal. IPv4 accepts every inet_aton form: decimal
 * `2130706433`, hex `0x7f000001`, octal `0177.0.0.01`, mixed radix `0x7f.1`, short forms `127.1`,
 * a trailing dot. IPv6 accepts brackets, an embedded dotted quad and a zone id (dropped).
 *
 * @example
 * ```ts
 * import { parseIpLiteral } from "./host_normalize.ts";
 * console.assert(parseIpLiteral("2130706433") === "127.0.0.1");
 * console.assert(parseIpLiteral("[::FFFF:127.0.0.1]") === "::ffff:7f00:1");
 * console.assert(parseIpLiteral("example.com") === null);
 * ```
 */
export function parseIpLiteral(host: string): string | null {
  const addr = parseAddr(host);
  return addr === null ? null : format(addr);
}

/**
 * The canonical text of an IP literal as the host policy compares and dials it: like
 * {@link parseIpLiteral}, except that an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) becomes
 * the dotted IPv4 address it carries. Null when `host` is not an IP literal.
 *
 * @example
 * ```ts
 * import { canonicalAddress } from "./host_normalize.ts";
 * console.assert(canonicalAddress("[::ffff:127.0.0.1]") === "127.0.0.1");
 * console.assert(canonicalAddress("::127.0.0.1") === "::7f00:1");
 * ```
 */
export function canonicalAddress(host: string): string | null {
  const addr = parseAddr(host);
  if (addr === null) return null;
  if (addr.v6 && (addr.value >> 32n) === (MAPPED_PREFIX >> 32n)) {
    return formatV4(addr.value & V4_MAX);
  }
  return format(addr);
}

/**
 * Normalises a host for the host policy (see the module doc): the canonical address of an IP
 * literal, the lower-case punycode form of a name, or null when `raw` is neither (empty, two
 * trailing dots, a bad label, a numeric last label that is no valid address, a `*`).
 *
 * @example
 * ```ts
 * import { normalizeHost } from "./host_normalize.ts";
 * console.assert(normalizeHost("xn--bcher-kva.de.") === normalizeHost("bücher.de"));
 * console.assert(normalizeHost("1.2.3.256") === null);
 * ```
 */
export function normalizeHost(raw: string): string | null {
  let h = String(raw ?? "").trim();
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return null; // control characters never name a host
  }
  if (/[^\x20-\x7e]/.test(h)) {
    // UTS 46 mapping first: it folds full-width digits and dots ("１２７．０．０．１") and
    // look-alikes ("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ") into what a URL parser would dial.
    const mapped = domainToASCII(h.toLowerCase());
    return mapped === "" || /[^\x20-\x7e]/.test(mapped) ? null : normalizeHost(mapped);
  }
  if (h.startsWith("[") && h.endsWith("]")) return canonicalAddress(h);
  if (h.endsWith(".") && !h.endsWith("..")) h = h.slice(0, -1);
  if (h === "") return null;
  const literal = canonicalAddress(h);
  if (literal !== null) return literal;
  if (h.includes(":") || h.includes("%")) return null;
  const ascii = domainToASCII(h.toLowerCase());
  if (ascii === "" || ascii.length > 253) return null;
  const labels = ascii.split(".");
  if (!labels.every((l) => LABEL.test(l))) return null;
  // A name whose last label is numeric is an IPv4 attempt (WHATWG "ends in a number").
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1] ?? "")) return null;
  return ascii;
}

/**
 * True when `raw` is an IP literal already written in its canonical text (dotted quad, or RFC
 * 5952 IPv6 with or without brackets): not decimal, hex, octal, short, mapped or compatible.
 *
 * @example
 * ```ts
 * import { isCanonicalLiteral } from "./host_normalize.ts";
 * console.assert(isCanonicalLiteral("127.0.0.1") && isCanonicalLiteral("[::1]"));
 * console.assert(!isCanonicalLiteral("2130706433") && !isCanonicalLiteral("[::ffff:127.0.0.1]"));
 * ```
 */
export function isCanonicalLiteral(raw: string): boolean {
  const t = raw.trim().toLowerCase();
  const bare = t.startsWith("[") && t.endsWith("]") ? t.slice(1, -1) : t;
  return canonicalAddress(bare) === bare;
}
