/**
 * The exact `deno run` argument vector for the proxy sidecar, shared by the host child
 * ({@link "./spawn_proxy_process.ts"}) and the sidecar container of the launcher.
 *
 * @example
 * ```ts
 * import { proxyCommand } from "./proxy_command.ts";
 * const { args } = proxyCommand({
 *   listen: "0.0.0.0:8080",
 *   allowlist: ["api.example.com"],
 *   pins: { raw: { "api.example.com": ["93.184.216.34"] }, granted: { "api.example.com": ["93.184.216.34"] } },
 *   sidecarPath: "/opt/zu/backends/egress/sidecar.ts",
 * });
 * console.assert(args[0] === "run" && args.includes("--cached-only"));
 * ```
 * @module
 */
import { permissionFlagsForProxy } from "./permission_flags.ts";
import { forwardSockets, type SidecarForwards } from "./sidecar_forward.ts";

/** Input of {@link proxyCommand}. */
export interface ProxyCommandInput {
  /** Listen `host:port`. */
  listen: string;
  /** Allowlist entries. */
  allowlist: readonly string[];
  /** From `pinAllowlist`: raw answers (handed over) and passing answers (granted). */
  pins: {
    raw: Readonly<Record<string, readonly string[]>>;
    granted: Readonly<Record<string, readonly string[]>>;
  };
  /** Operator CIDRs. */
  allowCidrs?: readonly string[];
  /** Path of `sidecar.ts` where the child runs. */
  sidecarPath: string;
  /** Extra sidecar arguments (limits). */
  extraArgs?: readonly string[];
  /**
   * Requests the sidecar hands to host-side unix sockets (`--forward-http`,
   * `--forward-connect`); the socket paths are as the sidecar sees them. Default none.
   */
  forwards?: SidecarForwards;
  /**
   * Live clearance: the sidecar asks the host's desk over this unix socket (as the sidecar sees
   * it) and waits at most `timeoutMs` for an answer (`--clearance`, `--clearance-timeout-ms`);
   * its `--allow-net` is widened (`clearance_grant.ts`). Default none: nothing changes.
   */
  clearance?: { socket: string; timeoutMs: number };
}

/**
 * The permission flags and the full `deno` argument vector
 * (`run --no-prompt --cached-only --no-config --no-lock <flags> sidecar.ts <args>`).
 */
export function proxyCommand(input: ProxyCommandInput): { flags: string[]; args: string[] } {
  const flags = permissionFlagsForProxy({
    listen: input.listen,
    allowlist: input.allowlist,
    pinned: input.pins.granted,
    sockets: [
      ...(input.forwards ? forwardSockets(input.forwards) : []),
      ...(input.clearance ? [input.clearance.socket] : []),
    ],
    ...(input.clearance ? { clearance: true } : {}),
  });
  const sidecarArgs = ["--listen", input.listen];
  for (const a of input.allowlist) sidecarArgs.push("--allow", a);
  for (const [host, ips] of Object.entries(input.pins.raw)) {
    if (ips.length > 0) sidecarArgs.push("--pin", `${host}=${ips.join(",")}`);
  }
  for (const c of input.allowCidrs ?? []) sidecarArgs.push("--allow-cidr", c);
  for (const f of input.forwards?.http ?? []) {
    sidecarArgs.push("--forward-http", `${f.pattern}=unix:${f.socket}`);
  }
  for (const f of input.forwards?.connect ?? []) {
    sidecarArgs.push("--forward-connect", `${f.pattern}=unix:${f.socket}`);
  }
  if (input.clearance) {
    sidecarArgs.push("--clearance", `unix:${input.clearance.socket}`);
    sidecarArgs.push("--clearance-timeout-ms", String(Math.ceil(input.clearance.timeoutMs)));
  }
  sidecarArgs.push(...(input.extraArgs ?? []));
  return {
    flags,
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      "--no-config",
      "--no-lock",
      ...flags,
      input.sidecarPath,
      ...sidecarArgs,
    ],
  };
}
