/**
 * The jail flags of a contained run's agent, inside the container: {@link sandboxedPermissions}
 * (the live jail for the agent mounted at `/agent`, the private ranges the sidecar sits on left
 * out of `--deny-net`, and, with live clearance, an unscoped `--allow-net` with the reason).
 * `run_contained.ts` re-exports it.
 * @module
 */
import {
  computeRunPermissions,
  type JailAgent,
  type RunPermissions,
} from "../jail/permission_flags.ts";
import { CLEARANCE_JAIL_WHY } from "../../backends/egress/clearance_grant.ts";

/** Where the agent directory is mounted (read-only) inside the container. */
export const SANDBOX_AGENT_DIR = "/agent";

/**
 * Private ranges the in-container jail does NOT deny: the egress proxy's own address lies on the
 * sandbox's private Docker network, and Deno checks a proxied fetch's connection to it against
 * `--deny-net`. The container's only route is that proxy, which refuses private destinations
 * itself; loopback, metadata and the other non-global ranges stay denied.
 */
const SANDBOX_ALLOWED_PRIVATE: readonly string[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
];

/**
 * Env keys the contained child may read: `ZU_SANDBOXED` (http_fetch goes through the proxy) and
 * the signals a `containment: required` agent checks (`HTTPS_PROXY`, `ZU_SANDBOX_NETWORK`).
 */
export const CONTAINMENT_ENV_KEYS: readonly string[] = [
  "HTTPS_PROXY",
  "ZU_SANDBOXED",
  "ZU_SANDBOX_NETWORK",
];

/**
 * The jail flags of a run inside the sandbox: {@link computeRunPermissions} in live mode for the
 * agent mounted at `/agent`, with no host-resolved addresses (the proxy resolves), read access to
 * `ZU_SANDBOXED`, `HTTPS_PROXY` and `ZU_SANDBOX_NETWORK`, and the RFC 1918 ranges left out of
 * `--deny-net` (see above).
 *
 * @example
 * ```ts
 * import { sandboxedPermissions } from "./sandboxed_permissions.ts";
 * const p = sandboxedPermissions({
 *   agentDir: "/home/me/shop",
 *   tools: [{ name: "http_fetch", egress: ["*"] }],
 *   target: "https://shop.example/",
 * });
 * console.assert(p.flags.includes("--allow-net=shop.example:80,shop.example:443"));
 * console.assert(p.flags.includes("--allow-read=/agent"));
 * ```
 */
export function sandboxedPermissions(
  jail: JailAgent,
  options: {
    env?: (name: string) => string | undefined;
    envKeys?: readonly string[];
    /**
     * Live clearance is on: `--allow-net` is unscoped (the agent may ask the proxy for any host;
     * `--deny-net` stays), with the reason in `explain` (`clearance_grant.ts`). Default false.
     */
    clearance?: boolean;
  } = {},
): RunPermissions {
  const perms = computeRunPermissions({ ...jail, agentDir: SANDBOX_AGENT_DIR }, {
    mode: "live",
    envKeys: [...CONTAINMENT_ENV_KEYS, ...(options.envKeys ?? [])],
    ...(options.env ? { env: options.env } : {}),
  });
  const denyNet = perms.denyNet.filter((r) => !SANDBOX_ALLOWED_PRIVATE.includes(r));
  const flags = perms.flags.map((f) =>
    f.startsWith("--deny-net=") ? `--deny-net=${denyNet.join(",")}` : f
  );
  const explain = perms.explain.map((e) =>
    e.flag === "--deny-net" && SANDBOX_ALLOWED_PRIVATE.includes(e.value)
      ? {
        ...e,
        why:
          "not denied inside the sandbox: the egress proxy sits on the sandbox's private network; the proxy refuses private destinations itself",
      }
      : e
  );
  if (!options.clearance) return { ...perms, flags, explain, denyNet };
  // Widened deliberately, in one place, with the reason recorded (docs/clearance.md).
  const widened = flags.filter((f) => !f.startsWith("--allow-net"));
  widened.splice(
    Math.max(0, flags.findIndex((f) => f.startsWith("--allow-net"))),
    0,
    "--allow-net",
  );
  return {
    ...perms,
    flags: widened,
    explain: [...explain, { flag: "--allow-net", value: "", why: CLEARANCE_JAIL_WHY }],
    denyNet,
  };
}
