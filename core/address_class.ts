/**
 * The one address classifier of zu's host policy: which non-global range an IP address lies in,
 * or null for a global address. Every enforcement point (`http_fetch` through `net_guard`, the
 * egress proxy, the Deno jail's flag builder) asks this function, so an address is judged the
 * same way everywhere.
 *
 * IPv6 forms that carry an IPv4 address are judged by the address they carry: IPv4-mapped
 * `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4
 * `2002::/16`. A compatible address whose IPv4 address is global is still `"reserved"` (the form
 * is deprecated); the local-use NAT64 prefix `64:ff9b:1::/48` is `"private"` whatever it carries;
 * Teredo `2001::/32` (which hides its client address) is `"teredo"` as a whole. IPv6 outside
 * `2000::/3` that no row names is `"reserved"` (fail closed on unassigned space).
 *
 * @example
 * ```ts
 * import { addressClass } from "./address_class.ts";
 * console.assert(addressClass("0177.0.0.1") === "loopback");
 * console.assert(addressClass("::ffff:169.254.169.254") === "metadata");
 * console.assert(addressClass("2002:a00:1::") === "private");
 * console.assert(addressClass("fd12::1") === "ula");
 * console.assert(addressClass("93.184.216.34") === null);
 * ```
 * @module
 */
import { type Addr, format, parseAddr, parseStrictQuad, parseV6, V4_MAX } from "./_ip_address.ts";

/** The classes of non-global addresses. */
export type AddressClass =
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "ula"
  | "teredo";

/** Every {@link AddressClass}, for documentation and tests. */
export const ADDRESS_CLASSES: readonly AddressClass[] = Object.freeze([
  "loopback",
  "private",
  "link-local",
  "metadata",
  "unspecified",
  "multicast",
  "broadcast",
  "documentation",
  "benchmarking",
  "reserved",
  "ula",
  "teredo",
]);

interface Range {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

function parseCidr(cidr: string): Range {
  const slash = cidr.lastIndexOf("/");
  let ipText = slash >= 0 ? cidr.slice(0, slash) : cidr;
  if (ipText.startsWith("[") && ipText.endsWith("]")) ipText = ipText.slice(1, -1);
  const v6 = ipText.includes(":");
  const addr = v6 ? parseV6(ipText) : parseStrictQuad(ipText);
  if (addr === null) throw new TypeError(`Cannot parse CIDR "${cidr}": not an IP address`);
  const width = v6 ? 128 : 32;
  const bitsText = slash >= 0 ? cidr.slice(slash + 1) : String(width);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) {
    throw new TypeError(`Cannot parse CIDR "${cidr}": prefix length must be 0 to ${width}`);
  }
  const bits = Number(bitsText);
  const shift = BigInt(width - bits);
  return { v6, base: (addr >> shift) << shift, bits };
}

function inRange(range: Range, addr: Addr): boolean {
  if (range.v6 !== addr.v6) return false;
  const shift = BigInt((range.v6 ? 128 : 32) - range.bits);
  return (addr.value >> shift) === (range.base >> shift);
}

type Row = readonly [Range, AddressClass];
const rows = (t: ReadonlyArray<readonly [string, AddressClass]>): Row[] =>
  t.map(([c, k]) => [parseCidr(c), k] as const);

/** First match wins; more specific rows first. */
const V4_TABLE: readonly Row[] = rows([
  ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, OpenStack, DigitalOcean, ...
  ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
  ["169.254.170.23/32", "metadata"], // AWS EKS pod identity
  ["169.254.169.123/32", "metadata"], // AWS time sync
  ["169.254.169.253/32", "metadata"], // AWS VPC DNS
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud
  ["192.0.0.192/32", "metadata"], // Oracle Cloud
  ["168.63.129.16/32", "metadata"], // Azure WireServer
  ["0.0.0.0/8", "unspecified"], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "private"], // carrier-grade NAT (shared address space)
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"], // IETF protocol assignments
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"], // deprecated 6to4 relay anycast
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
]);

const V6_TABLE: readonly Row[] = rows([
  ["fd00:ec2::254/128", "metadata"], // AWS IMDS over IPv6
  ["fd00:ec2::23/128", "metadata"], // AWS EKS pod identity
  ["fd00:ec2::123/128", "metadata"], // AWS time sync
  ["fd00:ec2::253/128", "metadata"], // AWS VPC DNS
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["100::/64", "reserved"], // discard-only
  ["64:ff9b:1::/48", "private"], // local-use NAT64
  ["2001::/32", "teredo"],
  ["2001:db8::/32", "documentation"],
  ["2001:2::/48", "benchmarking"],
  ["2001::/23", "reserved"], // IETF protocol assignments
  ["3fff::/20", "documentation"],
  ["5f00::/16", "reserved"], // SRv6 SIDs
  ["fc00::/7", "ula"], // unique local
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"], // deprecated site-local
  ["ff00::/8", "multicast"],
]);

const GLOBAL_UNICAST_V6 = parseCidr("2000::/3");
const MAPPED = parseCidr("::ffff:0:0/96");
const COMPAT = parseCidr("::/96");
const NAT64 = parseCidr("64:ff9b::/96");
const SIX_TO_FOUR = parseCidr("2002::/16");

function embedded(addr: Addr): Addr | null {
  if (!addr.v6) return null;
  // `::` and `::1` are IPv6's own unspecified and loopback addresses, not compatible forms.
  const compat = inRange(COMPAT, addr) && addr.value > 1n;
  if (inRange(MAPPED, addr) || inRange(NAT64, addr) || compat) {
    return { v6: false, value: addr.value & V4_MAX };
  }
  if (inRange(SIX_TO_FOUR, addr)) return { v6: false, value: (addr.value >> 80n) & V4_MAX };
  return null;
}

function classify(addr: Addr): AddressClass | null {
  if (!addr.v6) {
    for (const [range, k] of V4_TABLE) if (inRange(range, addr)) return k;
    return null;
  }
  for (const [range, k] of V6_TABLE) if (inRange(range, addr)) return k;
  const inner = embedded(addr);
  if (inner !== null) {
    const k = classify(inner);
    if (k !== null) return k;
    return inRange(COMPAT, addr) ? "reserved" : null;
  }
  if (!inRange(GLOBAL_UNICAST_V6, addr)) return "reserved";
  return null;
}

function parseOrThrow(ip: string): Addr {
  const addr = parseAddr(ip);
  if (addr === null) throw new TypeError(`Cannot classify "${ip}": not an IP address`);
  return addr;
}

/**
 * The class of a non-global address, or null when `ip` is global. `ip` is an IP literal in any
 * encoding (see `parseIpLiteral`); anything else throws `TypeError`.
 *
 * @example
 * ```ts
 * import { addressClass } from "./address_class.ts";
 * console.assert(addressClass("64:ff9b::7f00:1") === "loopback");
 * console.assert(addressClass("2001:0:4136:e378::1") === "teredo");
 * ```
 */
export function addressClass(ip: string): AddressClass | null {
  return classify(parseOrThrow(ip));
}

/**
 * The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 `64:ff9b::/96`, 6to4), as
 * dotted text, or null when it carries none (or `ip` is IPv4 or not an address).
 *
 * @example
 * ```ts
 * import { embeddedIpv4 } from "./address_class.ts";
 * console.assert(embeddedIpv4("2002:a9fe:a9fe::1") === "169.254.169.254");
 * console.assert(embeddedIpv4("2606:4700::1") === null);
 * ```
 */
export function embeddedIpv4(ip: string): string | null {
  const addr = parseAddr(ip);
  if (addr === null) return null;
  const inner = embedded(addr);
  return inner === null ? null : format(inner);
}

/**
 * Whether `cidr` (`a.b.c.d/n`, `v6::/n`, or a bare address) contains `ip`. An IPv4-mapped IPv6
 * address also matches the IPv4 CIDR of its embedded address. Throws `TypeError` on a malformed
 * CIDR; returns false when `ip` is not an IP literal.
 *
 * @example
 * ```ts
 * import { cidrContains } from "./address_class.ts";
 * console.assert(cidrContains("10.0.0.0/8", "10.1.2.3"));
 * console.assert(!cidrContains("10.0.0.0/8", "11.0.0.1"));
 * ```
 */
export function cidrContains(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr.trim());
  const addr = parseAddr(ip);
  if (addr === null) return false;
  if (inRange(range, addr)) return true;
  if (!range.v6 && addr.v6 && inRange(MAPPED, addr)) {
    return inRange(range, { v6: false, value: addr.value & V4_MAX });
  }
  return false;
}
