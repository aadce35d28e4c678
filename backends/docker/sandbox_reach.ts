/**
 * `reachOf`: how to reach a running sandbox, from the daemon's inspect: its networks and
 * addresses (none under `network: none`), published ports (zu publishes none) and whether execs
 * go through a `zu-session`.
 *
 * @example
 * ```ts
 * import { reachOf } from "./sandbox_reach.ts";
 * const reach = reachOf({ NetworkSettings: { Networks: { none: { IPAddress: "" } } } }, false);
 * console.assert(reach.exec && reach.networks.length === 0 && reach.ports.length === 0);
 * ```
 * @module
 */
import type { SandboxReach } from "../../core/types.ts";

/** The part of an inspect this reads. */
export interface InspectNetworks {
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string }>;
    Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
  };
}

/** The reach of a running sandbox (`session`: its execs go through `zu-session`). */
export function reachOf(info: InspectNetworks, session: boolean): SandboxReach {
  const networks: string[] = [];
  const addresses: string[] = [];
  for (const [name, net] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    if (name === "none") continue;
    networks.push(name);
    if (net.IPAddress) addresses.push(net.IPAddress);
    if (net.GlobalIPv6Address) addresses.push(net.GlobalIPv6Address);
  }
  const ports: string[] = [];
  for (const bound of Object.values(info.NetworkSettings?.Ports ?? {})) {
    for (const b of bound ?? []) {
      if (b.HostPort) ports.push(`${b.HostIp || "0.0.0.0"}:${b.HostPort}`);
    }
  }
  return { exec: true, session, networks, addresses, ports };
}
