/**
 * The one place where live clearance widens a Deno grant of the sandboxed path, and why.
 *
 * A cleared host is not known when the run starts, so no `--allow-net` list computed at start
 * can name it. With a clearance desk the egress-proxy sidecar therefore runs under an unscoped
 * `--allow-net` with {@link CLEARANCE_DENY_NET} denied: IPv4 loopback and link-local
 * (metadata), IPv6 loopback and the IPv6 metadata address (Deno takes no IPv6 ranges here),
 * which the proxy never dials whatever `allowCidrs` says; Deno applies a deny list to resolved
 * addresses too. What still bounds the sidecar: the proxy's own checks (allowlist or an
 * operator's allow, then every address check on the resolved answers, SNI), and the container
 * network. The in-box jail of a contained run is widened the same way (its only route out is the
 * sidecar, which holds every undeclared host for the operator). Without a desk
 * (`--clearance-hold off`) nothing is widened. `zu explain-permissions --sandboxed` shows both.
 *
 * @example
 * ```ts
 * import { CLEARANCE_DENY_NET, clearanceNetFlags } from "./clearance_grant.ts";
 * console.assert(clearanceNetFlags()[0] === "--allow-net");
 * console.assert(CLEARANCE_DENY_NET.includes("169.254.0.0/16"));
 * ```
 * @module
 */
import { cidrContains } from "../../core/address_class.ts";

/** What a clearance-widened sidecar still denies at the Deno level. */
export const CLEARANCE_DENY_NET: readonly string[] = Object.freeze([
  "127.0.0.0/8",
  "[::1]",
  "169.254.0.0/16",
  "[fd00:ec2::254]",
]);

/** Why the sidecar's `--allow-net` is unscoped under clearance (for explain output). */
export const CLEARANCE_SIDECAR_WHY =
  "live clearance is on: a host an operator clears is not known at start, so the egress-proxy sidecar may dial any name; the proxy's own checks (allowlist or an operator's allow, then every address check on the resolved answers) and the container network remain the boundary";

/** Why the sidecar still denies {@link CLEARANCE_DENY_NET}. */
export const CLEARANCE_DENY_WHY =
  "loopback and link-local/metadata stay denied to the sidecar's Deno even with clearance on (checked on resolved addresses too)";

/** Why the in-box jail's `--allow-net` is unscoped under clearance. */
export const CLEARANCE_JAIL_WHY =
  "live clearance is on: the agent may ask the egress proxy for any host; the container's only route out is that proxy, which holds every undeclared host until an operator allows it (zu pending, zu clear) or the hold ends";

/**
 * The sidecar's net flags under clearance: unscoped `--allow-net` and the deny list, less any
 * entry holding the proxy's own listen address (Deno's deny wins, even over listening; a proxy
 * listening on loopback then relies on its own checks for loopback, which refuse it always).
 */
export function clearanceNetFlags(listenHost = "0.0.0.0"): string[] {
  const host = listenHost.replace(/^\[|\]$/g, "");
  const deny = CLEARANCE_DENY_NET.filter((entry) =>
    entry.startsWith("[") ? entry.slice(1, -1) !== host : !cidrContains(entry, host)
  );
  return ["--allow-net", ...(deny.length ? [`--deny-net=${deny.join(",")}`] : [])];
}
