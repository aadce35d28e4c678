/**
 * The host side of a jailed run's `inject` and `placeholder` bindings: the run's egress proxy on
 * 127.0.0.1 with the credential interceptor as its hand-off and the jail's grant as its
 * allowlist, and the trust file (system roots plus the per-run CA) the child's `DENO_CERT`
 * names. The child gets {@link JailEgress.env}: the proxy, the trust file and the placeholders,
 * never a real value.
 *
 * @example
 * ```ts ignore
 * import { startJailEgress } from "./jail_egress.ts";
 * await using egress = await startJailEgress(interceptor, { allowlist: ["api.example.com"] });
 * console.log(egress.env.HTTPS_PROXY, Object.keys(egress.env));
 * ```
 * @module
 */
import type { Resolver } from "../core/net_guard.ts";
import type { ProxyClearance, RunningEgressProxy } from "../backends/egress/egress_proxy.ts";
import { proxyEnv } from "./jail/intercept_grants.ts";
import type { RunInterceptor } from "./run_interceptor.ts";

/** Options of {@link startJailEgress}. */
export interface JailEgressOptions {
  /** What the child may reach: the jail's `--allow-net` (see `proxyAllowlist`). */
  allowlist: readonly string[];
  /** Local origins (loopback `ip:port`), as the jail grants them. */
  localOrigins?: readonly string[];
  /** Operator-named non-global ranges, as the jail's address policy. */
  allowCidrs?: readonly string[];
  /** Resolves names for the proxy's own checks (tests). Default the system resolver. */
  resolver?: Resolver;
  /**
   * The run's live clearance: a host outside `allowlist` is held on this desk (the jail's fetch
   * relay goes through this same proxy, `jail_relay.ts`). Default none: refused at once.
   */
  clearance?: ProxyClearance;
  /** Receives the proxy's decision lines (the fetch relay's `ProxyDecisionBook.log`). */
  log?: (line: Record<string, unknown>) => void;
}

/** The running host side. */
export interface JailEgress extends AsyncDisposable {
  /** The proxy. */
  proxy: RunningEgressProxy;
  /** The trust file (0644), removed by {@link JailEgress.close}. */
  caFile: string;
  /** The child's extra environment: proxy variables, `DENO_CERT`, placeholders. */
  env: Record<string, string>;
  /** Stops the proxy and removes the trust file. */
  close(): Promise<void>;
}

/** Starts the proxy for `interceptor` and writes its trust file. */
export async function startJailEgress(
  interceptor: Pick<RunInterceptor, "handoff" | "caBundlePem" | "env" | "screen">,
  options: JailEgressOptions,
): Promise<JailEgress> {
  const { startEgressProxy } = await import("../backends/egress/egress_proxy.ts");
  const dir = await Deno.makeTempDir({ prefix: "zu_jail_ca_" });
  const caFile = `${dir}/ca.pem`;
  let proxy: RunningEgressProxy | null = null;
  const close = async (): Promise<void> => {
    await proxy?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    // The bundle holds certificates only (the CA's key never leaves this process).
    await Deno.writeTextFile(caFile, interceptor.caBundlePem, { mode: 0o644 });
    await Deno.chmod(caFile, 0o644);
    proxy = await startEgressProxy({
      allowlist: options.allowlist,
      hostname: "127.0.0.1",
      port: 0,
      handoff: interceptor.handoff,
      // Plain HTTP to a host the interceptor does not claim: a placeholder there is refused.
      screen: interceptor.screen,
      ...(options.localOrigins?.length ? { localOrigins: options.localOrigins } : {}),
      ...(options.allowCidrs?.length ? { allowCidrs: options.allowCidrs } : {}),
      ...(options.resolver ? { resolver: options.resolver } : {}),
      ...(options.clearance ? { clearance: options.clearance } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (e) {
    await close();
    throw e;
  }
  const env = { ...interceptor.env, ...proxyEnv(proxy.url, caFile) };
  return { proxy, caFile, env, close, [Symbol.asyncDispose]: close };
}
