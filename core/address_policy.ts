/**
 * What the host policy does with an address's class: {@link addressRefusal} says whether an
 * address may be dialled (or granted) under a policy, and {@link isInternalName} names the host
 * names that reach the local machine or a metadata service without DNS. `http_fetch` (through
 * `net_guard`), the egress proxy and the Deno jail's flag builder all decide with these two.
 *
 * A global address always passes. `loopback`, `metadata` and `unspecified` addresses, and any
 * IPv6 form carrying one of them, never pass through `allowPrivate` or `allowCidrs`. The only way
 * to a loopback or private address is `declaredLiteral`: an operator wrote that exact address,
 * in its canonical text, as an allowlist entry (a test server on `127.0.0.1:8080`, a model on the
 * LAN); the jail honours that for a tool's own `egress` and a provider's base URL, never for an
 * address a name resolved to. The other is `localOrigins` (agent.yaml `local_origins`, see
 * core/local_origin.ts): a loopback address passes on exactly the ports listed for it, when the
 * caller names the port (the literal dialled, or an answer a name resolved to), for every
 * enforcement point alike (the gate, `http_fetch`, the proxy
 * and the jail's flags).
 *
 * @example
 * ```ts
 * import { addressRefusal } from "./address_policy.ts";
 * console.assert(addressRefusal("10.0.0.5") === "private");
 * console.assert(addressRefusal("10.0.0.5", { allowPrivate: true }) === null);
 * console.assert(addressRefusal("127.0.0.1", { allowCidrs: ["127.0.0.0/8"] }) === "loopback");
 * console.assert(addressRefusal("93.184.216.34") === null);
 * ```
 * @module
 */
import { type AddressClass, addressClass, cidrContains, embeddedIpv4 } from "./address_class.ts";
import { localOriginKey } from "./local_origin.ts";

/** How far a policy opens the non-global ranges. Every field defaults to closed. */
export interface AddressPolicy {
  /**
   * Let private addresses (RFC 1918, carrier-grade NAT, deprecated site-local) and unique-local
   * IPv6 pass. Default false.
   */
  allowPrivate?: boolean;
  /**
   * CIDRs whose addresses pass even though they are not global (e.g. `["10.20.0.0/16"]`).
   * Loopback, metadata and unspecified addresses never pass this way. Default none.
   */
  allowCidrs?: readonly string[];
  /**
   * The address is an allowlist entry the operator wrote in canonical text: a loopback or
   * private address passes (only that address). Default false.
   */
  declaredLiteral?: boolean;
  /**
   * Local test origins, canonical `ip:port` text (`parseLocalOrigin`): a loopback address passes
   * on a listed port when the caller names the port (`addressRefusal(ip, policy, port)`).
   * Metadata and any non-loopback address never pass this way. Default none.
   */
  localOrigins?: readonly string[];
}

const NEVER: ReadonlySet<AddressClass> = new Set(["loopback", "metadata", "unspecified"]);
const PRIVATE: ReadonlySet<AddressClass> = new Set(["private", "ula"]);
const DECLARABLE: ReadonlySet<AddressClass> = new Set(["loopback", "private"]);

/**
 * The class for which `ip` is refused under `policy`, or null when it may be dialled. `port`,
 * when given, is the port to be dialled (it matters only for `localOrigins`). Throws
 * `TypeError` when `ip` is not an IP literal.
 *
 * @example
 * ```ts
 * import { addressRefusal } from "./address_policy.ts";
 * console.assert(addressRefusal("127.0.0.1", { declaredLiteral: true }) === null);
 * console.assert(addressRefusal("169.254.169.254", { declaredLiteral: true }) === "metadata");
 * console.assert(addressRefusal("::ffff:10.0.0.1", { declaredLiteral: true }) === "private");
 * const local = { localOrigins: ["127.0.0.1:8080"] };
 * console.assert(addressRefusal("127.0.0.1", local, 8080) === null);
 * console.assert(addressRefusal("127.0.0.1", local, 9090) === "loopback");
 * ```
 */
export function addressRefusal(
  ip: string,
  policy: AddressPolicy = {},
  port?: number | null,
): AddressClass | null {
  const k = addressClass(ip);
  if (k === null) return null;
  const inner = embeddedIpv4(ip);
  if (policy.declaredLiteral === true && DECLARABLE.has(k) && inner === null) return null;
  if (
    k === "loopback" && inner === null && port !== undefined && port !== null &&
    (policy.localOrigins ?? []).includes(localOriginKey(ip, port))
  ) return null;
  if (NEVER.has(k)) return k;
  if (inner !== null) {
    const innerClass = addressClass(inner);
    if (innerClass !== null && NEVER.has(innerClass)) return innerClass;
  }
  if (policy.allowPrivate === true && PRIVATE.has(k)) return null;
  for (const cidr of policy.allowCidrs ?? []) if (cidrContains(cidr, ip)) return null;
  return k;
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

/**
 * True when the normalised name `host` reaches the local machine or a metadata service without
 * DNS (`localhost`, `*.localhost`, `metadata.google.internal`, ...). Such a name is refused by
 * every enforcement point, like the address it stands for.
 *
 * @example
 * ```ts
 * import { isInternalName } from "./address_policy.ts";
 * console.assert(isInternalName("localhost") && isInternalName("a.localhost"));
 * console.assert(!isInternalName("shop.example"));
 * ```
 */
export function isInternalName(host: string): boolean {
  return INTERNAL_NAMES.has(host) || host.endsWith(".localhost");
}
