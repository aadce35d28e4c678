/**
 * What `zu explain-permissions --sandboxed` shows: the flags of the jail inside the container
 * and of the egress-proxy sidecar for a contained run of the agent, each with why, including
 * the deliberate widening live clearance needs (`backends/egress/clearance_grant.ts`). Nothing
 * is resolved: the addresses each allowlisted name resolves to at start are added to the
 * sidecar's `--allow-net` then (without clearance).
 *
 * @example
 * ```ts
 * import { explainSandboxed } from "./explain_sandboxed.ts";
 * const x = explainSandboxed({
 *   agentDir: "/agents/shop",
 *   tools: [{ name: "http_fetch", egress: ["*"] }],
 *   target: "https://shop.example/",
 * }, { holdMs: 25_000 });
 * console.assert(x.sidecar.flags[0] === "--allow-net" && x.clearance.widened);
 * ```
 * @module
 */
import type { JailAgent, PermissionReason } from "../jail/permission_flags.ts";
import { sandboxedPermissions } from "./run_contained.ts";
import { permissionFlagsForProxy } from "../../backends/egress/permission_flags.ts";
import {
  CLEARANCE_DENY_NET,
  CLEARANCE_DENY_WHY,
  CLEARANCE_SIDECAR_WHY,
} from "../../backends/egress/clearance_grant.ts";
import { BROKER_HOST } from "../../backends/egress/sidecar_forward.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import { HOST_SOCKET_MOUNT } from "./host_sockets.ts";
import { CLEARANCE_SOCKET } from "./_contained_clearance.ts";
import { SIDECAR_PORT } from "./_launcher_proxy.ts";

/** One flag and why, as `explain-permissions` prints it. */
export type FlagReason = PermissionReason;

/** The sandboxed view of an agent's permissions. */
export interface SandboxedExplain {
  /** The jail inside the container. */
  jail: { flags: string[]; explain: PermissionReason[] };
  /** The egress-proxy sidecar. */
  sidecar: { flags: string[]; explain: FlagReason[]; allowlist: string[] };
  /** Live clearance: the hold (0 = off) and whether the grants above were widened for it. */
  clearance: { hold_ms: number; widened: boolean; socket: string | null };
}

/** Computes the sandboxed flags of `jail` for a run with hold `holdMs` (`"off"` or 0: none). */
export function explainSandboxed(
  jail: JailAgent,
  options: { holdMs: number | "off"; env?: (name: string) => string | undefined },
): SandboxedExplain {
  const hold = options.holdMs === "off" ? 0 : options.holdMs;
  const on = hold > 0;
  const perms = sandboxedPermissions(jail, {
    ...(options.env ? { env: options.env } : {}),
    clearance: on,
  });
  const allowlist = perms.net.filter((e) => parseHostPattern(e).host !== BROKER_HOST);
  const socket = on ? `${HOST_SOCKET_MOUNT}/${CLEARANCE_SOCKET}` : null;
  const flags = permissionFlagsForProxy({
    listen: `0.0.0.0:${SIDECAR_PORT}`,
    allowlist,
    ...(socket ? { sockets: [socket], clearance: true } : {}),
  });
  const explain: FlagReason[] = on
    ? [
      { flag: "--allow-net", value: "", why: CLEARANCE_SIDECAR_WHY },
      { flag: "--deny-net", value: CLEARANCE_DENY_NET.join(","), why: CLEARANCE_DENY_WHY },
      {
        flag: "--allow-read/--allow-write",
        value: socket!,
        why:
          "the host's clearance desk answers here (the run's host socket directory, bound into the sidecar only)",
      },
    ]
    : [{
      flag: "--allow-net",
      value: allowlist.join(","),
      why:
        "the proxy's listen address and the run's allowlist (declared egress and the model host); the addresses each name resolves to at start are added then",
    }];
  explain.push({
    flag: "--allow-env",
    value: "ZU_PROXY_UNSAFE_TEST_ALLOW_ALL",
    why: "a test-only switch the proxy reads (and reports in proxy.ready)",
  });
  return {
    jail: { flags: perms.flags, explain: perms.explain },
    sidecar: { flags, explain, allowlist },
    clearance: { hold_ms: hold, widened: on, socket },
  };
}
