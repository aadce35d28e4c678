/**
 * The SSRF classifier: parses IP literals in every encoding a resolver or URL parser accepts,
 * classifies every non-global address range, and checks a host before and after resolution,
 * returning the addresses to dial (DNS pinning).
 *
 * Loopback, cloud-metadata and unspecified addresses never pass, whatever the options say.
 *
 * @example
 * ```ts
 * import { blockedReason, checkHost, parseIpLiteral } from "./net_guard.ts";
 * console.assert(parseIpLiteral("0x7f.1") === "127.0.0.1");
 * console.assert(blockedReason("::ffff:169.254.169.254") === "metadata");
 * const pinned = await checkHost("shop.test", { resolver: () => Promise.resolve(["93.184.216.34"]) });
 * console.assert(pinned[0] === "93.184.216.34");
 * ```
 * @module
 */
import { SecurityBlock, UserError } from "./errors.ts";

import {
  type Addr,
  format,
  formatV4,
  parseAddr,
  parseStrictQuad,
  parseV6,
  unwrap,
  V4_MAX,
} from "./_ip_address.ts";

/**
 * Parses an IPv4 or IPv6 literal in any encoding and returns its canonical text (dotted IPv4,
 * or lowercase RFC 5952 compressed IPv6, hex groups only), or null when `host` is not an IP
 * literal. IPv4 accepts every inet_aton form: decimal `2130706433`, hex `0x7f000001`, octal
 * `0177.0.0.01`, mixed radix `0x7f.1`, short forms `127.1` / `127.0.1`, a trailing dot. IPv6
 * accepts brackets, an embedded dotted quad and a zone id (which is dropped).
 *
 * @example
 * ```ts
 * import { parseIpLiteral } from "./net_guard.ts";
 * console.assert(parseIpLiteral("2130706433") === "127.0.0.1");
 * console.assert(parseIpLiteral("[::FFFF:127.0.0.1]") === "::ffff:7f00:1");
 * console.assert(parseIpLiteral("example.com") === null);
 * ```
 */
export function parseIpLiteral(host: string): string | null {
  const addr = parseAddr(host);
  return addr === null ? null : format(addr);
}

// ------------------------------------------------------------------ classification

interface Range {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

function parseCidr(cidr: string): Range {
  const slash = cidr.lastIndexOf("/");
  const ipText = slash >= 0 ? cidr.slice(0, slash) : cidr;
  const addr = ipText.includes(":") ? parseV6(unwrap(ipText).text) : parseStrictQuad(ipText);
  if (addr === null) throw new TypeError(`Cannot parse CIDR "${cidr}": not an IP address`);
  const v6 = ipText.includes(":");
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

/** First match wins; order more specific entries first. */
const V4_TABLE: ReadonlyArray<readonly [Range, string]> = ([
  // Cloud metadata and host-communication endpoints.
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
  ["100.64.0.0/10", "shared"], // carrier-grade NAT
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
] as const).map(([c, r]) => [parseCidr(c), r] as const);

const V6_TABLE: ReadonlyArray<readonly [Range, string]> = ([
  ["fd00:ec2::254/128", "metadata"], // AWS IMDS over IPv6
  ["fd00:ec2::23/128", "metadata"], // AWS EKS pod identity
  ["fd00:ec2::123/128", "metadata"], // AWS time sync
  ["fd00:ec2::253/128", "metadata"], // AWS VPC DNS
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["100::/64", "reserved"], // discard-only
  ["64:ff9b:1::/48", "private"], // local-use NAT64
  ["2001::/32", "reserved"], // Teredo
  ["2001:db8::/32", "documentation"],
  ["2001::/23", "reserved"], // IETF protocol assignments
  ["3fff::/20", "documentation"],
  ["5f00::/16", "reserved"], // SRv6 SIDs
  ["fc00::/7", "private"], // unique local
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"], // deprecated site-local
  ["ff00::/8", "multicast"],
] as const).map(([c, r]) => [parseCidr(c), r] as const);

const GLOBAL_UNICAST_V6 = parseCidr("2000::/3");
const MAPPED = parseCidr("::ffff:0:0/96");
const COMPAT = parseCidr("::/96");
const NAT64 = parseCidr("64:ff9b::/96");
const SIX_TO_FOUR = parseCidr("2002::/16");

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(addr: Addr): Addr | null {
  if (!addr.v6) return null;
  if (inRange(MAPPED, addr) || inRange(NAT64, addr) || inRange(COMPAT, addr)) {
    return { v6: false, value: addr.value & V4_MAX };
  }
  if (inRange(SIX_TO_FOUR, addr)) return { v6: false, value: (addr.value >> 80n) & V4_MAX };
  return null;
}

function classify(addr: Addr): string | null {
  if (!addr.v6) {
    for (const [range, reason] of V4_TABLE) if (inRange(range, addr)) return reason;
    return null;
  }
  for (const [range, reason] of V6_TABLE) if (inRange(range, addr)) return reason;
  const inner = embeddedV4(addr);
  if (inner !== null) {
    // ::/96 (deprecated compatible form) is never global; still report a worse inner reason.
    const innerReason = classify(inner);
    if (innerReason !== null) return innerReason;
    return inRange(COMPAT, addr) ? "reserved" : null;
  }
  // Outside 2000::/3 nothing is global unicast (fail closed on unassigned space).
  if (!inRange(GLOBAL_UNICAST_V6, addr)) return "reserved";
  return null;
}

/**
 * Why `ip` must not be dialled, or null when it is a global address. Reasons: `"loopback"`,
 * `"private"`, `"shared"`, `"link-local"`, `"metadata"`, `"unspecified"`, `"multicast"`,
 * `"broadcast"`, `"reserved"`, `"documentation"`, `"benchmarking"`, and `"invalid"` when `ip`
 * is not an IP literal. IPv6 addresses that embed an IPv4 address (mapped, compatible, NAT64,
 * 6to4) are judged by the embedded address too.
 *
 * @example
 * ```ts
 * import { blockedReason } from "./net_guard.ts";
 * console.assert(blockedReason("0177.0.0.1") === "loopback");
 * console.assert(blockedReason("2002:a00:1::") === "private");
 * console.assert(blockedReason("93.184.216.34") === null);
 * ```
 */
export function blockedReason(ip: string): string | null {
  const addr = parseAddr(ip);
  if (addr === null) return "invalid";
  return classify(addr);
}

/**
 * Whether `cidr` (`a.b.c.d/n`, `v6::/n`, or a bare address) contains `ip`. An IPv4-mapped IPv6
 * address also matches the IPv4 CIDR of its embedded address. Throws `TypeError` on a malformed
 * CIDR; returns false when `ip` is not an IP literal.
 *
 * @example
 * ```ts
 * import { cidrContains } from "./net_guard.ts";
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

// ------------------------------------------------------------------ checking hosts

/** Resolves a host name to IP address strings. */
export type Resolver = (host: string) => Promise<string[]>;

/**
 * The system resolver: `Deno.resolveDns` A and AAAA records (needs net permission to the
 * configured name server). Does not read `/etc/hosts`.
 */
export const systemResolver: Resolver = async (host: string): Promise<string[]> => {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  const out: string[] = [];
  if (a.status === "fulfilled") out.push(...a.value);
  if (aaaa.status === "fulfilled") out.push(...aaaa.value);
  if (out.length === 0 && a.status === "rejected") throw a.reason;
  return out;
};

/** Options of {@link checkHost}. */
export interface GuardOptions {
  /** Resolves names. Default {@link systemResolver}. */
  resolver?: Resolver;
  /**
   * CIDRs whose addresses pass even though they are not global (e.g. `["10.20.0.0/16"]`).
   * Loopback, metadata and unspecified addresses never pass. Default none.
   */
  allowCidrs?: string[];
  /**
   * Let private (RFC 1918, unique-local, site-local) and shared (100.64/10) addresses pass.
   * Loopback, metadata and unspecified addresses never pass. Default false.
   */
  allowPrivate?: boolean;
}

/** Names that reach the local host or a metadata service without any DNS. */
const INTERNAL_NAMES: ReadonlySet<string> = new Set([
  "localhost",
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "metadata.azure.com",
  "instance-data",
  "instance-data.ec2.internal",
]);

const NEVER_PASS: ReadonlySet<string> = new Set(["loopback", "metadata", "unspecified", "invalid"]);
const PRIVATE_REASONS: ReadonlySet<string> = new Set(["private", "shared"]);

/** Lowercases, strips brackets and a single trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".") && !h.endsWith("..")) h = h.slice(0, -1);
  return h;
}

/**
 * Whether `host` matches an allowlist of exact hosts and `*.domain` wildcards (case-folded,
 * brackets and one trailing dot stripped, IP literals compared canonically). `*.example.com`
 * matches every subdomain of `example.com` but not `example.com` itself; `*` matches any host.
 *
 * @example
 * ```ts
 * import { hostAllowed } from "./net_guard.ts";
 * console.assert(hostAllowed("Shop.Example.com.", ["*.example.com"]));
 * console.assert(!hostAllowed("example.com", ["*.example.com"]));
 * ```
 */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const canon = (h: string): string => {
    const n = normalizeHost(h);
    return parseIpLiteral(n) ?? n;
  };
  const name = canon(host);
  if (name === "") return false;
  for (const raw of patterns) {
    const pattern = normalizeHost(raw);
    if (pattern === "*") return true;
    if (pattern.startsWith("*.")) {
      const suffix = pattern.slice(1);
      if (suffix.length > 1 && name.endsWith(suffix) && name.length > suffix.length) return true;
    } else if (pattern !== "" && canon(pattern) === name) {
      return true;
    }
  }
  return false;
}

/** The reason `addr` is refused under `options`, or null when it may be dialled. */
function refusal(addr: Addr, options: GuardOptions): string | null {
  const reason = classify(addr);
  if (reason === null) return null;
  if (NEVER_PASS.has(reason)) return reason;
  // A mapped/NAT64/6to4 address that hides loopback or metadata never passes either.
  const inner = embeddedV4(addr);
  if (inner !== null) {
    const innerReason = classify(inner);
    if (innerReason !== null && NEVER_PASS.has(innerReason)) return innerReason;
  }
  if (options.allowPrivate === true && PRIVATE_REASONS.has(reason)) return null;
  const text = format(addr);
  for (const cidr of options.allowCidrs ?? []) if (cidrContains(cidr, text)) return null;
  return reason;
}

/** A name whose last label is numeric is an IPv4 attempt (WHATWG "ends in a number"). */
function looksNumeric(host: string): boolean {
  const labels = host.split(".");
  const last = labels[labels.length - 1] ?? "";
  return /^(0[xX][0-9a-fA-F]*|[0-9]+)$/.test(last);
}

/** IPv4-mapped addresses are dialled as the IPv4 address they carry. */
function dialText(addr: Addr): string {
  if (addr.v6 && inRange(MAPPED, addr)) return formatV4(addr.value & V4_MAX);
  return format(addr);
}

function block(host: string, why: string): SecurityBlock {
  return new SecurityBlock(`Cannot reach host "${host}": ${why}`, { kind: "ssrf", target: host });
}

/**
 * Refuses a blocked name or literal before resolution, resolves once, refuses if ANY answer is
 * blocked, and returns the canonical addresses to dial (pinned). Throws `SecurityBlock` (kind
 * `"ssrf"`, target = host) on a refusal, `UserError` (code `"dns_failed"`) when the name does not
 * resolve. Loopback and metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...) never
 * pass, even with `allowCidrs` or `allowPrivate`.
 *
 * @example
 * ```ts
 * import { checkHost } from "./net_guard.ts";
 * const resolver = (_: string) => Promise.resolve(["10.0.0.5"]);
 * await checkHost("intranet.test", { resolver }).then(
 *   () => { throw new Error("should be refused"); },
 *   (e) => console.assert(e.kind === "ssrf"),
 * );
 * ```
 */
export async function checkHost(host: string, options: GuardOptions = {}): Promise<string[]> {
  let name = normalizeHost(host);
  if (name === "") throw block(host, "the host is empty");
  if (/[^\x21-\x7e]/.test(name) && !name.includes(":")) {
    // Non-ASCII: apply the URL parser's IDNA mapping, which also folds full-width digits and
    // dots ("１２７．０．０．１") and look-alikes ("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ") into what would be dialled.
    try {
      name = normalizeHost(new URL(`http://${name}/`).hostname);
    } catch {
      throw block(host, "it is not a valid host name or IP address");
    }
  }
  if (INTERNAL_NAMES.has(name) || name.endsWith(".localhost")) {
    throw block(host, "the name is internal");
  }
  const literal = parseAddr(name);
  if (literal !== null) {
    const why = refusal(literal, options);
    if (why !== null) throw block(host, `address "${format(literal)}" is ${why}`);
    return [dialText(literal)];
  }
  if (
    name.includes(":") || name.includes("%") || looksNumeric(name) ||
    /[\s/\\@?#]/.test(name) || name.startsWith(".") || name.includes("..")
  ) {
    throw block(host, "it is not a valid host name or IP address");
  }
  let answers: string[];
  const DNS_FIX = "check the name, the network and the resolver (/etc/resolv.conf)";
  try {
    answers = await (options.resolver ?? systemResolver)(name);
  } catch (cause) {
    throw new UserError(
      "dns_failed",
      `Cannot resolve host "${host}": ${String(cause)}; ${DNS_FIX}`,
      {
        cause,
      },
    );
  }
  if (answers.length === 0) {
    throw new UserError("dns_failed", `Cannot resolve host "${host}": no addresses; ${DNS_FIX}`);
  }
  const pinned: string[] = [];
  for (const answer of answers) {
    const addr = parseAddr(answer);
    if (addr === null) throw block(host, `the resolver answered "${answer}", not an address`);
    const why = refusal(addr, options);
    if (why !== null) {
      throw block(host, `it resolves to "${format(addr)}", which is ${why}`);
    }
    const text = dialText(addr);
    if (!pinned.includes(text)) pinned.push(text);
  }
  return pinned;
}
